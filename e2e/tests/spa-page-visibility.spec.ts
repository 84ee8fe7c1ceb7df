/**
 * pageVisibility() behind the demo SPA's proactive refresh, in real Chromium against the
 * reference server: a refresh that falls due while the page is hidden is not sent (not even once
 * the token has expired) until the page is visible again, and then exactly one is; a page that
 * stays visible refreshes on its own when the token is due, and a hide-and-show before then
 * changes nothing. Refresh requests are counted at the reference server.
 *
 * How the page is hidden: Chromium's headless mode reports every page as visible. A second tab
 * in the same window (also brought to front), a background target (`Target.createTarget` with
 * `background`), a minimized window (`Browser.setWindowBounds`), focus emulation turned off
 * (`Emulation.setFocusEmulationEnabled`) and a page frozen and resumed
 * (`Page.setWebLifecycleState`) all leave `document.visibilityState` at 'visible' with no
 * `visibilitychange` (checked with Chromium 156). So the test does from inside the page what the
 * browser does on a tab switch: `document.visibilityState` / `document.hidden` report the state
 * the test sets, and `visibilitychange` is dispatched on the document. Everything else (timers,
 * IndexedDB, Web Locks, the refresh over HTTP) is the browser's own.
 */
import type { Page } from '@playwright/test'
import { redirectLogin } from '../fixtures/demo-flows.ts'
import { type Demo, expect, expectStatus, openDemo, test } from '../fixtures/demo.ts'

/** The login's access token lives this long; the SDK's 60 s skew is capped at half of it. */
const LIFETIME = 16

declare global {
  interface Window {
    /** Installed by the init script below. */
    setPageVisibility?: (state: DocumentVisibilityState) => void
  }
}

/** Before any page script: a document whose visibility the test controls. */
function controllableVisibility(): void {
  let state: DocumentVisibilityState = 'visible'
  Object.defineProperty(Document.prototype, 'visibilityState', {
    configurable: true,
    get: () => state,
  })
  Object.defineProperty(Document.prototype, 'hidden', {
    configurable: true,
    get: () => state === 'hidden',
  })
  window.setPageVisibility = (next) => {
    if (next === state) return
    state = next
    document.dispatchEvent(new Event('visibilitychange'))
  }
}

async function setVisibility(page: Page, state: DocumentVisibilityState): Promise<void> {
  const seen = await page.evaluate((s) => {
    window.setPageVisibility!(s)
    return document.visibilityState
  }, state)
  expect(seen).toBe(state)
}

const refreshRequests = (demo: Demo) =>
  demo.control.requests({ endpoint: 'token', grantType: 'refresh_token' })

const fingerprint = (page: Page) => page.getByTestId('access-token-fingerprint').textContent()

const eventCount = (page: Page, event: string) =>
  page.getByTestId('event-log').locator(`[data-event="${event}"]`).count()

/**
 * Signs in with a short-lived access token; resolves with when the proactive refresh falls due
 * and when the token expires (epoch ms, from the stored token set the TokenManager reads too).
 */
async function shortLogin(
  page: Page,
  demo: Demo,
): Promise<{ dueAt: number; expiresAt: number; token: string }> {
  await demo.control.setFaults({ tokenResponse: { expiresIn: LIFETIME, times: 1 } })
  await page.addInitScript(controllableVisibility)
  await openDemo(page, demo)
  await redirectLogin(page, demo)
  const stored = await page.evaluate(async () => {
    const tokens = await window.openrpDemo!.spa.getTokenSet()
    return { expiresAt: tokens?.expiresAt, issuedAt: tokens?.issuedAt }
  })
  expect(stored.expiresAt! - stored.issuedAt!).toBe(LIFETIME)
  const token = (await fingerprint(page))!
  expect(token).toMatch(/^[0-9a-f]{16}$/)
  const expiresAt = stored.expiresAt! * 1000
  return { dueAt: expiresAt - (LIFETIME / 2) * 1000, expiresAt, token }
}

async function waitUntil(page: Page, at: number): Promise<void> {
  await page.waitForTimeout(Math.max(0, at - Date.now()))
}

test.describe('demo SPA: proactive refresh and page visibility', () => {
  test('a refresh due while the page is hidden waits for it to be visible, then runs once', async ({
    page,
    demo,
  }) => {
    test.setTimeout(60_000)
    const { dueAt, expiresAt, token } = await shortLogin(page, demo)
    await setVisibility(page, 'hidden')
    // Hidden well before the refresh is due.
    expect(Date.now()).toBeLessThan(dueAt - 1_000)

    // Past the due time, and past the token's expiry too: nothing is sent while hidden.
    await waitUntil(page, expiresAt + 2_000)
    expect(await refreshRequests(demo)).toEqual([])
    expect(await fingerprint(page)).toBe(token)
    expect(await eventCount(page, 'refreshed')).toBe(0)

    const shownAt = Date.now()
    await setVisibility(page, 'visible')
    await expect.poll(async () => (await refreshRequests(demo)).length).toBe(1)
    const refreshedAfterMs = Date.now() - shownAt
    expect(refreshedAfterMs).toBeLessThan(3_000)
    await expect(page.getByTestId('access-token-fingerprint')).not.toHaveText(token)

    // Exactly one: no second request from the timer or the event.
    await page.waitForTimeout(2_000)
    const refreshes = await refreshRequests(demo)
    expect(refreshes.map((r) => r.status)).toEqual([200])
    expect(await eventCount(page, 'refreshed')).toBe(1)
    expect(await eventCount(page, 'expired')).toBe(0)
    expect(await eventCount(page, 'error')).toBe(0)
    await expectStatus(page, 'signed-in')
    await expect(page.getByTestId('error')).toBeHidden()
  })

  test('a visible page refreshes on its own when due; a hide and show before then changes nothing', async ({
    page,
    demo,
  }) => {
    test.setTimeout(60_000)
    const { dueAt, token } = await shortLogin(page, demo)
    // Hidden and visible again, well before the refresh is due: no refresh for that.
    await setVisibility(page, 'hidden')
    await page.waitForTimeout(300)
    await setVisibility(page, 'visible')
    await page.waitForTimeout(1_000)
    expect(Date.now()).toBeLessThan(dueAt - 500)
    expect(await refreshRequests(demo)).toEqual([])

    // The timer still fires when due: one refresh, around that time, none before.
    await expect
      .poll(async () => (await refreshRequests(demo)).length, {
        timeout: dueAt - Date.now() + 5_000,
      })
      .toBe(1)
    // expiresAt is in whole seconds: the timer may fire up to 1 s before this estimate.
    expect(Date.now()).toBeGreaterThanOrEqual(dueAt - 1_000)
    await expect(page.getByTestId('access-token-fingerprint')).not.toHaveText(token)
    await page.waitForTimeout(2_000)
    expect((await refreshRequests(demo)).map((r) => r.status)).toEqual([200])
    expect(await eventCount(page, 'refreshed')).toBe(1)
    expect(await eventCount(page, 'error')).toBe(0)
  })
})
