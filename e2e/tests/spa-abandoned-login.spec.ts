/**
 * Regression: a redirect login abandoned at the provider (the user pressed back) left its
 * transaction (PKCE verifier, nonce, state) in sessionStorage until the tab closed; refused after
 * its lifetime, but never removed. In real Chromium, through the demo's SpaClient: a later login
 * past that lifetime removes it.
 */
import { redirectLogin } from '../fixtures/demo-flows.ts'
import { expect, expectStatus, openDemo, test } from '../fixtures/demo.ts'

/** How long a login transaction is taken (TRANSACTION_TTL_MS of @openrp/browser). */
const LIFETIME_MS = 15 * 60_000

test.describe('demo SPA: an abandoned redirect login', () => {
  test('its transaction is gone after a later login past its lifetime', async ({ page, demo }) => {
    // The page's clock starts a lifetime and a minute in the past: once moved past the
    // lifetime, it is back at the provider's time, and the tokens it issues are fresh.
    const start = Date.now() - LIFETIME_MS - 60_000
    await page.clock.install({ time: start })
    const transactionKeys = () =>
      page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.startsWith('openrp.tx')))

    await openDemo(page, demo)
    await expectStatus(page, 'signed-out')
    await page.getByTestId('login-redirect').click()
    await page.waitForURL((url) => url.origin === new URL(demo.issuer).origin)
    await page.goBack()
    await expectStatus(page, 'signed-out')
    // The abandoned transaction (and the index of pending ones) stayed in the tab.
    const pending = await transactionKeys()
    expect(pending.filter((key) => key.startsWith('openrp.tx.spa.'))).toHaveLength(1)

    await page.clock.fastForward(LIFETIME_MS + 60_000)
    expect(await page.evaluate(() => Date.now())).toBeGreaterThan(start + LIFETIME_MS + 60_000)
    await redirectLogin(page, demo)
    expect(await transactionKeys()).toEqual([])
  })
})
