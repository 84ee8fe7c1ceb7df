/**
 * `handleRedirectCallback(url)` with a URL the page is not at (a deep link an app shell hands
 * over), in real Chromium: the login completes and the address bar stays as it is.
 *
 * Regression: the SpaClient wrote the given URL, stripped, into the address bar with
 * `history.replaceState`, which throws a SecurityError for another scheme or origin: the login
 * failed with an untyped error after the transaction was used up.
 */
import { expect, expectSignedInAsAlice, openDemo, test } from '../fixtures/demo.ts'
import { completeLogin } from '@openrp/reference-server'

test('a deep-link callback signs in and leaves the address bar alone', async ({ page, demo }) => {
  await openDemo(page, demo)
  const authorize = page.waitForRequest((r) => r.url().startsWith(`${demo.issuer}/authorize`))
  await page.getByTestId('login-redirect').click()
  // The provider answers elsewhere (an app shell catching the deep link): here, to this runner.
  const callback = (await completeLogin((await authorize).url())).url
  // The page goes on to the provider's login page; the next navigation waits for it to arrive.
  await page.waitForURL((url) => url.href.startsWith(`${demo.issuer}/login`))

  await page.goto(`${demo.origin}/?tab=2`)
  const deepLink = `com.example.app:/callback${callback.search}`
  const outcome = await page.evaluate(async (url) => {
    try {
      const result = await window.openrpDemo!.spa.handleRedirectCallback(url)
      return { type: result.type, error: undefined }
    } catch (error) {
      return { type: undefined, error: String((error as Error).name) }
    }
  }, deepLink)
  expect(outcome).toEqual({ type: 'login', error: undefined })
  expect(page.url()).toBe(`${demo.origin}/?tab=2`)
  await page.reload()
  await expectSignedInAsAlice(page)
})
