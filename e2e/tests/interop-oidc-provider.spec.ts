/**
 * The demo SPA (`@openrp/browser` configured as its README says) against node-oidc-provider, an
 * OpenID-certified OP we did not write, in real Chromium: redirect and popup login, an API call
 * across origins, refresh with rotation, five tabs sharing one refresh, and logout through the
 * OP's end_session page. Every request is counted at the OP.
 */
import type { BrowserContext, Page } from '@playwright/test'
import { INTEROP_USER } from '@openrp/interop'
import { type CertifiedDemo, expect, SPA_CLIENT_ID, test } from '../fixtures/certified-op.ts'

async function openDemo(page: Page, demo: CertifiedDemo): Promise<void> {
  await page.goto(demo.url)
  await expect(page.getByTestId('status')).toHaveAttribute('data-state', /signed-(in|out)/)
}

async function expectSignedIn(page: Page): Promise<void> {
  await expect(page.getByTestId('status')).toHaveAttribute('data-state', 'signed-in')
  await expect(page.getByTestId('user-sub')).toHaveText(INTEROP_USER.sub)
  // The name comes from the OP's userinfo (its ID tokens carry no profile claims).
  await expect(page.getByTestId('user-name')).toHaveText(INTEROP_USER.claims.name)
  await expect(page.getByTestId('client-id')).toHaveText(SPA_CLIENT_ID)
  await expect(page.getByTestId('error')).toBeHidden()
}

const tokenRequests = (demo: CertifiedDemo, grantType: string) =>
  demo.op.requests().filter((r) => r.path === '/token' && r.grantType === grantType)

const storedRefreshToken = (page: Page) =>
  page.evaluate(async () => (await window.openrpDemo?.spa.getTokenSet())?.refreshToken)

const fingerprint = (page: Page) => page.getByTestId('access-token-fingerprint').textContent()

test.describe('demo SPA against node-oidc-provider', () => {
  test('redirect login, API call, refresh with rotation, logout through end_session', async ({
    page,
    certified,
  }) => {
    await openDemo(page, certified)
    await page.getByTestId('login-redirect').click()
    await expectSignedIn(page)
    expect(page.url()).toBe(certified.url)
    // The code went to the token endpoint from the SPA's origin (CORS), with PKCE.
    const [exchange] = tokenRequests(certified, 'authorization_code')
    expect(exchange).toMatchObject({ status: 200, origin: certified.origin })

    // The OP's userinfo endpoint as a cross-origin API: the profile claims are there.
    await page.getByTestId('call-api').click()
    await expect(page.getByTestId('api-result')).toHaveAttribute('data-status', '200')
    await expect(page.getByTestId('api-result')).toContainText(INTEROP_USER.claims.name)

    // Refresh with rotation: a new refresh token replaces the old one in the store.
    const before = await storedRefreshToken(page)
    expect(before).toEqual(expect.any(String))
    const token = await fingerprint(page)
    await page.getByTestId('refresh-now').click()
    await expect(page.getByTestId('access-token-fingerprint')).not.toHaveText(token!)
    const after = await storedRefreshToken(page)
    expect(after).toEqual(expect.any(String))
    expect(after).not.toBe(before)
    expect(tokenRequests(certified, 'refresh_token').map((r) => r.status)).toEqual([200])

    // Logout: revocation from the SPA, then the OP's end_session page, where the user confirms.
    await page.getByTestId('logout').click()
    await page.waitForURL((url) => url.origin === certified.op.issuer)
    await page.getByRole('button', { name: 'Yes, sign me out' }).click()
    await page.waitForURL((url) => url.origin === certified.origin)
    await expect(page.getByTestId('status')).toHaveAttribute('data-state', 'signed-out')
    expect(await storedRefreshToken(page)).toBeUndefined()
    const log = certified.op.requests()
    const revocations = log.filter((r) => r.path === '/token/revocation')
    expect(revocations.map((r) => r.status)).toEqual([200, 200])
    expect(log.filter((r) => r.path === '/session/end/confirm')).toHaveLength(1)
    // Signed out at the OP too: the grant is gone, the rotated refresh token with it.
    const refused = await fetch(`${certified.op.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: after!,
        client_id: SPA_CLIENT_ID,
      }),
    })
    expect(refused.status).toBe(400)
    expect((await refused.json()).error).toBe('invalid_grant')
  })

  test('popup login', async ({ page, certified }) => {
    await openDemo(page, certified)
    const popup = page.waitForEvent('popup')
    await page.getByTestId('login-popup').click()
    await (await popup).waitForEvent('close')
    await expectSignedIn(page)
    expect(page.url()).toBe(certified.url)
    expect(tokenRequests(certified, 'authorization_code').map((r) => r.status)).toEqual([200])
  })

  test('DPoP-bound tokens with the server nonces the OP demands', async ({ page, certified }) => {
    await openDemo(page, certified)
    // Changing the setting signs out locally and reloads the page: wait for the reload, or the
    // login click below may start a navigation the reload then cancels. click(), not check():
    // check() re-reads the box after the click, maybe on the reloaded page's static markup.
    const reloaded = page.waitForEvent('load')
    await page.getByTestId('dpop-toggle').click()
    await reloaded
    await expect(page.getByTestId('status')).toHaveAttribute('data-state', 'signed-out')
    await expect(page.getByTestId('dpop-toggle')).toBeChecked()
    await page.getByTestId('login-redirect').click()
    await expectSignedIn(page)
    await expect(page.getByTestId('token-type')).toHaveText('DPoP-bound token')
    // The first token request learnt the nonce (400 use_dpop_nonce), the retry carried it.
    expect(tokenRequests(certified, 'authorization_code').map((r) => r.status)).toEqual([400, 200])
    await page.getByTestId('call-api').click()
    await expect(page.getByTestId('api-result')).toHaveAttribute('data-status', '200')
    const token = await fingerprint(page)
    await page.getByTestId('refresh-now').click()
    await expect(page.getByTestId('access-token-fingerprint')).not.toHaveText(token!)
    await expect(page.getByTestId('token-type')).toHaveText('DPoP-bound token')
    expect(tokenRequests(certified, 'refresh_token').map((r) => r.status)).toEqual([200])
  })

  test.describe("with the OP's default refresh-token rule", () => {
    test.use({
      certifiedOptions: { loginAccessTokenTtlSec: 3600, refreshTokens: 'offline_access' },
    })

    test('asks prompt=consent with offline_access, as the browser README says, and gets a refresh token', async ({
      page,
      certified,
    }) => {
      await openDemo(page, certified)
      await page.getByTestId('login-redirect').click()
      await expectSignedIn(page)
      // OpenID Connect Core §11: the OP grants offline_access only with prompt=consent, which
      // the demo sends whenever it asks for refresh tokens.
      expect(await storedRefreshToken(page)).toBeDefined()
      const token = await fingerprint(page)
      await page.getByTestId('refresh-now').click()
      await expect(page.getByTestId('access-token-fingerprint')).not.toHaveText(token!)
      await expectSignedIn(page)
      expect(tokenRequests(certified, 'refresh_token').map((r) => r.status)).toEqual([200])
    })
  })

  test.describe('with a 20-second login access token', () => {
    test.use({ certifiedOptions: { loginAccessTokenTtlSec: 20, refreshTokens: 'public-clients' } })

    test('five tabs that all see the token expire make one refresh request', async ({
      context,
      page,
      certified,
    }) => {
      test.setTimeout(90_000)
      const tabs = await openTabs(context, page, certified)
      await tabs[0]!.getByTestId('login-redirect').click()
      const loginAt = Date.now()
      for (const tab of tabs) await expectSignedIn(tab)
      const loginToken = await fingerprint(tabs[0]!)
      // The SDK renews at half the lifetime when that is less than its 60 s skew: 10 s here.
      await page.waitForTimeout(Math.max(0, loginAt + 10_500 - Date.now()))
      await Promise.all(tabs.map((tab) => tab.getByTestId('get-token').click()))
      for (const tab of tabs)
        await expect(tab.getByTestId('access-token-fingerprint')).not.toHaveText(loginToken!)
      // Room for a duplicate refresh (a tab that missed the others' result) to show.
      await page.waitForTimeout(1_500)
      const now = await Promise.all(tabs.map(fingerprint))
      expect(new Set(now).size).toBe(1)
      for (const tab of tabs) {
        const left = Number(await tab.getByTestId('token-expiry').getAttribute('data-seconds'))
        expect(left).toBeGreaterThan(20)
      }
      expect(tokenRequests(certified, 'refresh_token').map((r) => r.status)).toEqual([200])
      for (const tab of tabs) await expectSignedIn(tab)
    })
  })
})

async function openTabs(
  context: BrowserContext,
  first: Page,
  demo: CertifiedDemo,
): Promise<Page[]> {
  const tabs = [first]
  while (tabs.length < 5) tabs.push(await context.newPage())
  for (const tab of tabs) await openDemo(tab, demo)
  for (const tab of tabs)
    await expect(tab.getByTestId('status')).toHaveAttribute('data-state', 'signed-out')
  return tabs
}
