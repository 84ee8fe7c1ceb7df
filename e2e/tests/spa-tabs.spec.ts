/**
 * Five tabs of the demo SPA share one session (encrypted IndexedDB, Web Locks, BroadcastChannel):
 * a login or logout in one is seen in all without reload, and an expiry seen by all of them at
 * once costs exactly one refresh request at the reference server.
 */
import type { BrowserContext, Page } from '@playwright/test'
import { redirectLogin } from '../fixtures/demo-flows.ts'
import {
  alice,
  type Demo,
  expect,
  expectSignedInAsAlice,
  expectStatus,
  openDemo,
  test,
} from '../fixtures/demo.ts'

const TABS = 5

async function openTabs(context: BrowserContext, first: Page, demo: Demo): Promise<Page[]> {
  const tabs = [first]
  while (tabs.length < TABS) tabs.push(await context.newPage())
  for (const tab of tabs) await openDemo(tab, demo)
  for (const tab of tabs) await expectStatus(tab, 'signed-out')
  return tabs
}

const fingerprints = (tabs: Page[]) =>
  Promise.all(tabs.map((tab) => tab.getByTestId('access-token-fingerprint').textContent()))

async function eventsOf(tab: Page, event: string): Promise<number> {
  return tab.getByTestId('event-log').locator(`[data-event="${event}"]`).count()
}

test.describe('demo SPA: five tabs', () => {
  test('a login in one tab is seen in all; a logout in one signs all out', async ({
    context,
    page,
    demo,
  }) => {
    const tabs = await openTabs(context, page, demo)
    await redirectLogin(tabs[0]!, demo)
    for (const tab of tabs.slice(1)) {
      await expectSignedInAsAlice(tab)
      await expect(tab.getByTestId('user-sub')).toHaveText(alice.sub)
    }
    const seen = await fingerprints(tabs)
    expect(new Set(seen).size).toBe(1)
    expect(seen[0]).toMatch(/^[0-9a-f]{16}$/)

    await tabs[3]!.getByTestId('logout').click()
    for (const tab of tabs) await expectStatus(tab, 'signed-out')
    for (const tab of tabs) {
      await expect(tab.getByTestId('signed-out-panel')).toBeVisible()
      // Polled: the tab that logged out goes to the provider's end_session and back, and a
      // look during that navigation finds its page gone.
      await expect
        .poll(() => tab.evaluate(async () => Boolean(await window.openrpDemo?.spa.getTokenSet())))
        .toBe(false)
    }
    expect(await demo.control.requests({ endpoint: 'end_session' })).toHaveLength(1)
    // One login, no renewal on the way.
    expect(await demo.control.requests({ endpoint: 'token', grantType: 'refresh_token' })).toEqual(
      [],
    )
  })

  test('an expiry seen by five tabs at once gives exactly one refresh request', async ({
    context,
    page,
    demo,
  }) => {
    test.setTimeout(90_000)
    // The login's access token lives 20 s, less than the SDK's 60 s skew, so the skew is capped
    // at half the lifetime: every tab's timer and every tab's getAccessToken() consider it due
    // 10 s after the login.
    const LIFETIME = 20
    await demo.control.setFaults({ tokenResponse: { expiresIn: LIFETIME, times: 1 } })
    const tabs = await openTabs(context, page, demo)
    await redirectLogin(tabs[0]!, demo)
    const loginAt = Date.now()
    const [loginToken] = await fingerprints(tabs.slice(0, 1))
    const left = Number(await tabs[0]!.getByTestId('token-expiry').getAttribute('data-seconds'))
    expect(left).toBeLessThanOrEqual(LIFETIME)
    for (const tab of tabs.slice(1)) await expectSignedInAsAlice(tab)

    // Once the token is due in every tab, all five ask at the same moment (as do their timers).
    await page.waitForTimeout(Math.max(0, loginAt + (LIFETIME / 2) * 1000 + 500 - Date.now()))
    await Promise.all(tabs.map((tab) => tab.getByTestId('get-token').click()))
    for (const tab of tabs) {
      await expect(tab.getByTestId('access-token-fingerprint')).not.toHaveText(loginToken!)
    }
    // Give a duplicate refresh (a tab that did not see the others' result) time to show.
    await page.waitForTimeout(2_000)
    for (const tab of tabs) {
      const left = Number(await tab.getByTestId('token-expiry').getAttribute('data-seconds'))
      expect(left).toBeGreaterThan(LIFETIME)
    }

    const refreshes = await demo.control.requests({ endpoint: 'token', grantType: 'refresh_token' })
    expect(refreshes.map((r) => r.status)).toEqual([200])
    const now = await fingerprints(tabs)
    expect(new Set(now).size).toBe(1)
    for (const tab of tabs) {
      await expectStatus(tab, 'signed-in')
      expect(await eventsOf(tab, 'expired')).toBe(0)
      expect(await eventsOf(tab, 'error')).toBe(0)
      await expect(tab.getByTestId('error')).toBeHidden()
    }
  })
})
