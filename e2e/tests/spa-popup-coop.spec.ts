/**
 * A provider whose pages send `Cross-Origin-Opener-Policy: same-origin` cuts the login popup off
 * from the app: on the callback page `window.opener` is null, and the app sees the popup as
 * closed at once. With `popup: { openerSevered: true }` the app waits on, and the callback page
 * hands the response over a same-origin BroadcastChannel named after the state.
 */
import { expect, expectSignedInAsAlice, openDemo, test } from '../fixtures/demo.ts'
import { signIn } from '../fixtures/login.ts'

test('popup login signs in when the provider severs the opener with COOP', async ({
  page,
  demo,
}) => {
  await demo.control.setFaults({ pageHeaders: { 'Cross-Origin-Opener-Policy': 'same-origin' } })
  await page.addInitScript(() => {
    const key = 'openrp-demo.settings'
    const saved = JSON.parse(localStorage.getItem(key) ?? '{}')
    localStorage.setItem(key, JSON.stringify({ ...saved, popupOpenerSevered: true }))
  })
  await openDemo(page, demo)
  const before = page.url()
  const popupOpened = page.waitForEvent('popup')
  await page.getByTestId('login-popup').click()
  const popup = await popupOpened
  await popup.waitForURL((url) => url.pathname === '/login')
  // The fault really severs: the provider's page has no opener, and the app sees it closed.
  expect(await popup.evaluate(() => window.opener === null)).toBe(true)
  await page.waitForTimeout(1_500)
  await expect(page.getByTestId('error')).toBeHidden()

  await signIn(popup, demo.issuer, { closes: true })
  await expectSignedInAsAlice(page)
  expect(page.url()).toBe(before)
  await expect(page.getByTestId('error')).toBeHidden()
  const grants = await demo.control.requests({ endpoint: 'token', grantType: 'authorization_code' })
  expect(grants.map((r) => r.status)).toEqual([200])
})
