/**
 * Regression: two loginWithPopup() calls at once opened one window (both named `openrp-login`):
 * the second navigated the first's popup, the first flow took the second's reply, and one of
 * them failed with STATE_MISMATCH. In real Chromium: two popups, two logins, both succeed.
 */
import { randomBytes } from 'node:crypto'
import type { Page } from '@playwright/test'
import { expect, expectSignedInAsAlice, openDemo, test } from '../fixtures/demo.ts'
import { signIn } from '../fixtures/login.ts'

declare global {
  interface Window {
    popupOutcomes?: Promise<{ ok: boolean; code?: string; sub?: string }[]>
  }
}

test('two popup logins started together each get their own window and their own tokens', async ({
  page,
  demo,
}) => {
  await openDemo(page, demo)
  // A browser that has been to the provider before. In a brand-new one, both popups' first
  // requests would get a fresh provider browser cookie, the second overwriting the first, and
  // the reference server would then refuse the first login form (its own per-browser binding).
  await page.context().addCookies([
    {
      name: 'openrp_browser',
      value: `e2e-${randomBytes(12).toString('hex')}`,
      url: demo.issuer,
      httpOnly: true,
      sameSite: 'Lax',
    },
  ])
  const popups: Page[] = []
  page.on('popup', (popup) => popups.push(popup))
  await page.evaluate(() => {
    const spa = window.openrpDemo!.spa
    const outcome = (login: Promise<unknown>) =>
      login.then(
        async () => ({ ok: true, sub: String((await spa.getUser())?.sub) }),
        (error: { code?: string }) => ({ ok: false, code: error.code }),
      )
    // Both opened in the same task, as two clicks handled before either popup loads.
    window.popupOutcomes = Promise.all([
      outcome(spa.loginWithPopup()),
      outcome(spa.loginWithPopup()),
    ])
  })
  await expect.poll(() => popups.length).toBe(2)
  const [first, second] = popups as [Page, Page]
  expect(first).not.toBe(second)
  await signIn(second, demo.issuer, { closes: true })
  await signIn(first, demo.issuer, { closes: true })

  const outcomes = await page.evaluate(() => window.popupOutcomes!)
  expect(outcomes).toEqual([
    { ok: true, sub: expect.any(String) },
    { ok: true, sub: expect.any(String) },
  ])
  await expectSignedInAsAlice(page)
  const grants = await demo.control.requests({ endpoint: 'token', grantType: 'authorization_code' })
  expect(grants.map((r) => r.status)).toEqual([200, 200])
  // No pending transaction is left behind.
  const pending = await page.evaluate(() =>
    Object.keys(sessionStorage).filter((key) => key.startsWith('openrp.tx.')),
  )
  expect(pending).toEqual([])
})
