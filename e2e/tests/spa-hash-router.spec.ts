/**
 * Regressions in the address-bar cleanup, in real Chromium with the demo SPA: a hash-router
 * route (`#/orders?tab=2`) came back from a login re-encoded (`#%2Forders%3Ftab=2`), and an
 * app's own `?state=…` parameter was taken for a callback, refused and stripped.
 */
import { expect, expectSignedInAsAlice, expectStatus, openDemo, test } from '../fixtures/demo.ts'
import { signIn } from '../fixtures/login.ts'

test.describe('demo SPA: the app keeps its own URL', () => {
  test('loginWithRedirect() without returnTo comes back to the hash route #/orders?tab=2', async ({
    page,
    demo,
  }) => {
    await openDemo(page, demo)
    await page.evaluate(() => history.replaceState(null, '', '/#/orders?tab=2'))
    expect(page.url()).toBe(`${demo.origin}/#/orders?tab=2`)
    // Not awaited in the page: it resolves as the page leaves for the provider.
    await page.evaluate(() => {
      void window.openrpDemo!.spa.loginWithRedirect()
    })
    await signIn(page, demo.issuer)
    await expectSignedInAsAlice(page)
    await expect(page).toHaveURL(`${demo.origin}/#/orders?tab=2`)
    expect(page.url().endsWith('#/orders?tab=2')).toBe(true)
    // The callback's code and state are gone from the address bar and the history.
    expect(page.url()).not.toMatch(/[?&](code|state|iss)=/)
    await expect(page.getByTestId('error')).toBeHidden()
  })

  test("the app's own ?state=CA&tab=2 is no callback: no error, the URL is kept", async ({
    page,
    demo,
  }) => {
    await page.goto(`${demo.url}?state=CA&tab=2`)
    await expectStatus(page, 'signed-out')
    await expect(page.getByTestId('error')).toBeHidden()
    expect(page.url()).toBe(`${demo.origin}/?state=CA&tab=2`)
  })
})
