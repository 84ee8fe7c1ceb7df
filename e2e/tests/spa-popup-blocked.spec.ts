/**
 * A popup the browser blocks gives POPUP_BLOCKED, shown in plain words, and no session.
 *
 * Playwright's own browser runs with the popup blocker off, and a context it traces lets popups
 * through; so this file launches a Chromium with the blocker on, in a worker that never traced.
 */
import { chromium } from '@playwright/test'
import { chromiumArgs, chromiumPath } from '@openrp/testkit'
import { expect, expectError, expectNoSession, expectStatus, test } from '../fixtures/demo.ts'

// Tracing lets popups through, and a worker that traced an earlier test keeps doing so: a
// worker option of its own (launchOptions) gives this file a fresh worker that never traced.
test.use({
  trace: 'off',
  launchOptions: {
    executablePath: chromiumPath(),
    args: [...chromiumArgs, '--no-default-browser-check'],
  },
})

test("a popup blocked by Chromium's popup blocker gives POPUP_BLOCKED", async ({ demo }) => {
  // Playwright turns the popup blocker off, and its clicks count as user gestures. This
  // browser keeps the blocker on, and the page's own script clicks "Sign in with popup" (no
  // user gesture, as when an app calls loginWithPopup() outside a click handler).
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: chromiumArgs,
    ignoreDefaultArgs: ['--disable-popup-blocking'],
  })
  try {
    const page = await browser.newPage()
    let opened = false
    page.on('popup', () => {
      opened = true
    })
    await page.addInitScript(() => {
      const clickWhenReady = () => {
        const status = document.querySelector('[data-testid="status"]')
        if (status?.getAttribute('data-state') !== 'signed-out') {
          setTimeout(clickWhenReady, 50)
          return
        }
        document.querySelector<HTMLButtonElement>('[data-testid="login-popup"]')?.click()
      }
      addEventListener('DOMContentLoaded', clickWhenReady)
    })
    await page.goto(demo.url)
    await expectStatus(page, /signed-(in|out)/)
    await expectError(page, 'POPUP_BLOCKED')
    await expectNoSession(page)
    expect(opened).toBe(false)
    expect(await demo.control.requests({ endpoint: 'authorize' })).toEqual([])
  } finally {
    await browser.close()
  }
})
