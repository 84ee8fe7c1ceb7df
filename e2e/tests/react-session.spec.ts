/**
 * The React demo's session across tabs and over time, built in production and in development
 * mode (StrictMode on in both): five tabs see one login, share one refresh when the token is
 * due, and all sign out when one does; a session the provider ended shows `signedOut` with
 * its typed reason on the protected page, with no login loop.
 */
import type { BrowserContext, Page } from '@playwright/test'
import { signIn } from '../fixtures/login.ts'
import {
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

test.describe.configure({ mode: 'parallel' })

const TABS = 5

async function openTabs(context: BrowserContext, first: Page, demo: ReactDemo): Promise<Page[]> {
  const tabs = [first]
  while (tabs.length < TABS) tabs.push(await context.newPage())
  await Promise.all(tabs.map((tab) => openReactDemo(tab, demo)))
  for (const tab of tabs) await expectStatus(tab, 'signedOut')
  return tabs
}

const fingerprints = (tabs: Page[]) =>
  Promise.all(tabs.map((tab) => tab.getByTestId('access-token-fingerprint').textContent()))

/** Revokes the page's refresh token at the provider (RFC 7009), as an administrator would. */
async function revokeRefreshToken(page: Page, demo: ReactDemo): Promise<void> {
  const refreshToken = await page.evaluate(
    async () => (await window.openrpDemo?.spa.getTokenSet())?.refreshToken,
  )
  expect(refreshToken).toBeTruthy()
  const metadata = (await (
    await fetch(`${demo.issuer}/.well-known/openid-configuration`)
  ).json()) as {
    revocation_endpoint: string
  }
  const response = await fetch(metadata.revocation_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      token: refreshToken!,
      token_type_hint: 'refresh_token',
      client_id: 'spa',
    }),
  })
  expect(response.status).toBe(200)
}

for (const mode of REACT_MODES) {
  test.describe(`React demo (${mode} build, StrictMode): session`, () => {
    test.use({ reactMode: mode })

    test('five tabs: a login seen in all, one refresh for all when due, a logout in one signs all out', async ({
      context,
      page,
      reactDemo,
    }) => {
      // The login's access token lives 8 s: due (half its life, under the 60 s skew) 4 s later.
      await reactDemo.control.setFaults({ tokenResponse: { expiresIn: 8, times: 1 } })
      const tabs = await openTabs(context, page, reactDemo)
      await redirectLogin(tabs[0]!, reactDemo)
      for (const tab of tabs) await expectSignedIn(tab)
      for (const tab of tabs) {
        await expect(tab.getByTestId('access-token-fingerprint')).toHaveText(/^[0-9a-f]{16}$/)
      }
      const [first] = await fingerprints(tabs.slice(0, 1))
      expect(new Set(await fingerprints(tabs)).size).toBe(1)

      // Every tab's renewal timer comes due at the same moment: one refresh, seen by all.
      for (const tab of tabs) {
        await expect(tab.getByTestId('access-token-fingerprint')).not.toHaveText(first!, {
          timeout: 15_000,
        })
      }
      await page.waitForTimeout(1_000) // time for a duplicate refresh to show
      const refreshes = await reactDemo.control.requests({
        endpoint: 'token',
        grantType: 'refresh_token',
      })
      expect(refreshes.map((r) => r.status)).toEqual([200])
      expect(new Set(await fingerprints(tabs)).size).toBe(1)

      await tabs[3]!.getByTestId('logout').click()
      for (const tab of tabs) await expectStatus(tab, 'signedOut')
      for (const tab of tabs) {
        // Polled: the tab that logged out goes to the provider's end_session and back, and a
        // look during that navigation finds its page gone.
        await expect
          .poll(() => tab.evaluate(async () => Boolean(await window.openrpDemo?.spa.getTokenSet())))
          .toBe(false)
      }
      expect(await reactDemo.control.requests({ endpoint: 'end_session' })).toHaveLength(1)
      for (const tab of tabs) await expect(tab.getByTestId('error')).toHaveCount(0)
    })

    test('a session the provider ended: signedOut with SESSION_EXPIRED on the protected page, no login loop', async ({
      page,
      reactDemo,
    }) => {
      await reactDemo.control.setFaults({ tokenResponse: { expiresIn: 6, times: 1 } })
      await page.goto(new URL('/protected', reactDemo.url).toString())
      await signIn(page, reactDemo.issuer)
      await expect(page.getByTestId('protected')).toBeVisible()
      await revokeRefreshToken(page, reactDemo)

      // The renewal timer (3 s after login) is refused: the session ends, the page says why.
      await expectStatus(page, 'signedOut')
      await expectErrorScreen(page, 'SESSION_EXPIRED')
      await expect(page.getByTestId('protected')).toHaveCount(0)
      await page.waitForTimeout(1_500) // time for a loop to show
      expect(new URL(page.url()).origin).toBe(reactDemo.origin)
      expect(await reactDemo.control.requests({ endpoint: 'authorize' })).toHaveLength(1)
      const refreshes = await reactDemo.control.requests({
        endpoint: 'token',
        grantType: 'refresh_token',
      })
      expect(refreshes.map((r) => r.status)).toEqual([400])
      await expectStatus(page, 'signedOut')

      // The home page says the same, and offers to sign in again.
      await page.getByTestId('nav-home').click()
      await expect(page.getByTestId('session-ended')).toHaveAttribute(
        'data-code',
        'SESSION_EXPIRED',
      )
      await expect(page.getByTestId('login-redirect')).toBeVisible()
    })
  })
}
