/**
 * The React demo (@openrp/react with React Router, StrictMode on) signs in, built in production
 * and in development mode (where React runs every effect twice): the redirect callback costs
 * exactly one token request, the back button after a login leaves the user signed in without a
 * state error, a popup login works, and a refused callback shows an error screen with the typed
 * code instead of looping through the provider.
 */
import {
  buildModeOf,
  expect,
  expectErrorScreen,
  expectSignedIn,
  expectStatus,
  openReactDemo,
  REACT_MODES,
  type ReactDemo,
  redirectLogin,
  test,
} from '../fixtures/react-demo.ts'
import { signIn } from '../fixtures/login.ts'
import type { Page } from '@playwright/test'

test.describe.configure({ mode: 'parallel' })

/** Every value the status pill took, in order (a MutationObserver set up before the app runs). */
async function recordStatuses(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = []
    ;(window as unknown as { statuses: string[] }).statuses = seen
    new MutationObserver(() => {
      const state = document.querySelector('[data-testid="status"]')?.getAttribute('data-state')
      if (state && seen.at(-1) !== state) seen.push(state)
    }).observe(document, { subtree: true, childList: true, attributes: true })
  })
}

const statusesOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { statuses: string[] }).statuses)

/**
 * The back button, once the history entry has committed. A page restored from the back-forward
 * cache replaces the one Playwright was attached to: a goBack() sent in that moment can fail
 * with "Not attached to an active page". Then, once the page has loaded, it is sent again only
 * if the page did not go back (never two entries for one press).
 */
async function back(page: Page): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const before = page.url()
    try {
      await page.goBack({ waitUntil: 'commit' })
      return
    } catch (error) {
      if (attempt === 3 || !String(error).includes('Not attached to an active page')) throw error
      await page.waitForLoadState('load')
      if (page.url() !== before) return
    }
  }
}

async function tokenGrants(demo: ReactDemo): Promise<(string | undefined)[]> {
  return (await demo.control.requests({ endpoint: 'token' })).map((r) => r.grantType)
}

for (const mode of REACT_MODES) {
  test.describe(`React demo (${mode} build, StrictMode)`, () => {
    test.use({ reactMode: mode })

    test('a protected route signs in once: one token request, back on the route, API call answered', async ({
      page,
      reactDemo,
    }) => {
      await recordStatuses(page)
      await page.goto(new URL('/protected', reactDemo.url).toString())
      // RequireAuth sends the browser to the provider by itself, once.
      await signIn(page, reactDemo.issuer)
      await expect(page.getByTestId('protected')).toBeVisible()
      expect(new URL(page.url()).pathname).toBe('/protected')
      expect(page.url()).not.toMatch(/[?&#](code|state|iss)=/)
      await expectSignedIn(page)
      expect(await buildModeOf(page)).toBe(mode)

      expect(await tokenGrants(reactDemo)).toEqual(['authorization_code'])
      expect(await reactDemo.control.requests({ endpoint: 'authorize' })).toHaveLength(1)
      // The callback page went from loading to signedIn, never through signedOut or error.
      expect(await statusesOf(page)).toEqual(['loading', 'signedIn'])

      await page.getByTestId('call-api').click()
      const result = page.getByTestId('api-result')
      await expect(result).toHaveAttribute('data-status', '200')
      await expect(result).toContainText('a1c3b7e2-5f0d-4c7e-9a51-0a11ce000001')
      await expect(page.getByTestId('error')).toHaveCount(0)
    })

    test('the back button after a login: still signed in, no state error, no new token request', async ({
      page,
      reactDemo,
    }) => {
      await openReactDemo(page, reactDemo)
      await page.getByTestId('nav-protected').click()
      const callback = page.waitForRequest(
        (r) => r.isNavigationRequest() && new URL(r.url()).searchParams.has('code'),
      )
      await signIn(page, reactDemo.issuer)
      const callbackUrl = (await callback).url()
      await expect(page.getByTestId('protected')).toBeVisible()

      // Back: through the provider's page to the app's entries before the login.
      await back(page)
      while (new URL(page.url()).origin !== reactDemo.origin) await back(page)
      await expectSignedIn(page)
      await expect(page.getByTestId('error')).toHaveCount(0)

      // A provider that answers the old request again (its login page in the history re-runs
      // it): the same code and state come back. Ignored: signed in, no error.
      await page.goto(callbackUrl)
      await expectSignedIn(page)
      expect(page.url()).not.toMatch(/[?&#](code|state|iss)=/)
      await expect(page.getByTestId('error')).toHaveCount(0)
      expect(await tokenGrants(reactDemo)).toEqual(['authorization_code'])
    })

    test('popup login', async ({ page, reactDemo }) => {
      await openReactDemo(page, reactDemo)
      await expectStatus(page, 'signedOut')
      const popupOpened = page.waitForEvent('popup')
      await page.getByTestId('login-popup').click()
      const popup = await popupOpened
      await signIn(popup, reactDemo.issuer, { closes: true })
      await expectSignedIn(page)
      await expect(page.getByTestId('user-sub')).toHaveText('a1c3b7e2-5f0d-4c7e-9a51-0a11ce000001')
      expect(await tokenGrants(reactDemo)).toEqual(['authorization_code'])
    })

    test('a refused callback shows the typed code, with no second login attempt', async ({
      page,
      reactDemo,
    }) => {
      await reactDemo.control.setFaults({ authorizationResponse: { iss: 'wrong', times: 1 } })
      await page.goto(new URL('/protected', reactDemo.url).toString())
      await signIn(page, reactDemo.issuer)
      await expectErrorScreen(page, 'ISS_MISMATCH')
      await expectStatus(page, 'error')
      // Give a loop time to show: no second authorization request, no token request.
      await page.waitForTimeout(1_000)
      expect(await reactDemo.control.requests({ endpoint: 'authorize' })).toHaveLength(1)
      expect(await tokenGrants(reactDemo)).toEqual([])
      expect(new URL(page.url()).origin).toBe(reactDemo.origin)
    })

    test('redirect login from the home page', async ({ page, reactDemo }) => {
      await openReactDemo(page, reactDemo)
      await redirectLogin(page, reactDemo)
      await expect(page.getByTestId('user-name')).toHaveText('Alice Liddell')
      await expect(page.getByTestId('access-token-fingerprint')).toHaveText(/^[0-9a-f]{16}$/)
      expect(await tokenGrants(reactDemo)).toEqual(['authorization_code'])
    })
  })
}
