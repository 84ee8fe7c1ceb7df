/**
 * The demo SPA with `store: 'session'` and a copy of its tab. A page opened with `window.open`
 * (no `noopener`) starts with a copy of its opener's sessionStorage, as a duplicated tab does:
 * both hold the same refresh token. The reference server rotates refresh tokens and revokes the
 * whole family when a rotated one is used again, so a copy that refreshed with the copied token
 * would end the original tab's session too. Both tabs must stay signed in and keep renewing.
 */
import type { Page } from '@playwright/test'
import { redirectLogin } from '../fixtures/demo-flows.ts'
import {
  type Demo,
  expect,
  expectSignedInAsAlice,
  expectStatus,
  openDemo,
  test,
} from '../fixtures/demo.ts'

/** Opens the demo with its tokens in sessionStorage (the demo keeps its settings in localStorage). */
async function openSessionDemo(page: Page, demo: Demo): Promise<void> {
  await openDemo(page, demo)
  await page.evaluate(() =>
    localStorage.setItem('openrp-demo.settings', JSON.stringify({ store: 'session' })),
  )
  await openDemo(page, demo)
  await expect(page.getByTestId('store-select')).toHaveValue('session')
}

/** Renews now (the demo's "refresh now" button) and waits for another access token. */
async function renew(tab: Page): Promise<void> {
  const fingerprint = tab.getByTestId('access-token-fingerprint')
  const before = await fingerprint.textContent()
  await tab.getByTestId('refresh-now').click()
  await expect(fingerprint).not.toHaveText(before!)
  await expectSignedInAsAlice(tab)
}

const refreshToken = (tab: Page) =>
  tab.evaluate(async () => (await window.openrpDemo?.spa.getTokenSet())?.refreshToken)

const eventsOf = (tab: Page, event: string) =>
  tab.getByTestId('event-log').locator(`[data-event="${event}"]`).count()

test.describe('demo SPA: a copy of a tab with a sessionStorage store', () => {
  test('the original and its copy stay signed in and both keep renewing', async ({
    page,
    demo,
  }) => {
    await openSessionDemo(page, demo)
    await redirectLogin(page, demo)
    const original = await refreshToken(page)
    expect(original).toEqual(expect.any(String))

    // window.open without noopener: the new page gets a copy of this tab's sessionStorage.
    const [copy] = await Promise.all([
      page.context().waitForEvent('page'),
      page.evaluate((url) => void window.open(url), demo.url),
    ])
    await expectSignedInAsAlice(copy)
    await expect(copy.getByTestId('store-select')).toHaveValue('session')

    // The original rotates its refresh token, then the copy renews, then the original again.
    await renew(page)
    await renew(copy)
    await renew(page)
    await renew(copy)

    for (const tab of [page, copy]) {
      await expectStatus(tab, 'signed-in')
      expect(await eventsOf(tab, 'expired:')).toBe(0)
      await expect(tab.getByTestId('error')).toBeHidden()
    }
    // The original renewed by refresh token, and none was refused (a reused one revokes its
    // whole family); the copy, without one, renewed silently (prompt=none in a hidden iframe).
    const refreshes = await demo.control.requests({ endpoint: 'token', grantType: 'refresh_token' })
    expect(refreshes.map((r) => r.status)).toEqual([200, 200])
    const codes = await demo.control.requests({
      endpoint: 'token',
      grantType: 'authorization_code',
    })
    expect(codes.map((r) => r.status)).toEqual([200, 200, 200])
    // The copy never used the refresh token it copied: that family is the original tab's.
    expect(await refreshToken(copy)).not.toBe(original)
    expect(await refreshToken(page)).not.toBe(await refreshToken(copy))
  })
})
