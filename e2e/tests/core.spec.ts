/**
 * @openrp/core in real Chromium: the package bundled for the browser (rollup, `browser`
 * builds of its dependencies) runs discovery, grants and ID-token validation inside a page
 * against the reference server over real HTTP (CORS included). Logins go through the
 * provider's real login form.
 */
import { DEMO_USERS } from '@openrp/reference-server'
import { BROWSER_CLIENT, BROWSER_SCOPE, M2M_CLIENT } from '../fixtures/clients.ts'
import { expect, openPage, test, waitForPage } from '../fixtures/harness.ts'
import { signIn } from '../fixtures/login.ts'
import type {} from '../harness/pages/core-api.ts'

const alice = DEMO_USERS.find((u) => u.username === 'alice')!

test.describe('core in Chromium', () => {
  test('discovers the provider from the page', async ({ page, pages, provider }) => {
    await openPage(page, pages, 'core')
    const result = await page.evaluate(
      (issuer) => window.coreSuite.discovery(issuer),
      provider.issuer,
    )
    expect(result).toMatchObject({
      ok: true,
      metadata: {
        issuer: provider.issuer,
        token_endpoint: `${provider.issuer}/token`,
        jwks_uri: expect.stringContaining(provider.issuer),
        authorization_response_iss_parameter_supported: true,
      },
    })
    if (!result.ok) throw new Error('unreachable')
    expect(result.metadata.code_challenge_methods_supported).toContain('S256')
  })

  test('refuses a discovery document naming another issuer', async ({ page, pages, provider }) => {
    await openPage(page, pages, 'core')
    provider.control.setFaults({ discoveryIssuer: 'https://evil.example.test' })
    const result = await page.evaluate(
      (issuer) => window.coreSuite.discovery(issuer),
      provider.issuer,
    )
    expect(result).toMatchObject({ ok: false, code: 'DISCOVERY_ISSUER_MISMATCH' })
  })

  test('gets a client-credentials token, Bearer and DPoP-bound', async ({
    page,
    pages,
    provider,
  }) => {
    await openPage(page, pages, 'core')
    const bearer = await page.evaluate(
      ([issuer, client]) =>
        window.coreSuite.clientCredentials(issuer, { ...client, scope: 'api:read' }),
      [provider.issuer, M2M_CLIENT] as const,
    )
    expect(bearer).toMatchObject({ ok: true, tokens: { tokenType: 'Bearer', scope: 'api:read' } })

    const dpop = await page.evaluate(
      ([issuer, client]) =>
        window.coreSuite.clientCredentials(issuer, { ...client, scope: 'api:read', dpop: true }),
      [provider.issuer, M2M_CLIENT] as const,
    )
    expect(dpop).toMatchObject({
      ok: true,
      tokens: { tokenType: 'DPoP' },
      api: { status: 200, body: { client_id: M2M_CLIENT.clientId, token_type: 'DPoP' } },
    })
    const grants = provider.control.requests({ endpoint: 'token', grantType: 'client_credentials' })
    expect(grants.map((r) => r.status)).toEqual([200, 200])
  })

  test('code + PKCE through the login form, then refresh, userinfo and a replayed code', async ({
    page,
    pages,
    provider,
  }) => {
    await openPage(page, pages, 'core')
    const params = await page.evaluate(
      ([issuer, clientId, scope]) => window.coreSuite.beginLogin(issuer, { clientId, scope }),
      [provider.issuer, BROWSER_CLIENT, BROWSER_SCOPE] as const,
    )
    expect(params).toMatchObject({
      response_type: 'code',
      client_id: BROWSER_CLIENT,
      code_challenge_method: 'S256',
      redirect_uri: pages.url('core'),
    })
    expect(params.code_challenge).toMatch(/^[\w-]{43}$/)
    expect(params.state).toBeTruthy()
    expect(params.nonce).toBeTruthy()

    await signIn(page, provider.issuer)
    await waitForPage(page)
    const login = await page.evaluate(() => window.coreSuite.callback)
    expect(login).toMatchObject({
      ok: true,
      transactionsLeft: 0,
      tokens: {
        tokenType: 'Bearer',
        refreshToken: expect.any(String),
        idTokenClaims: {
          iss: provider.issuer,
          sub: alice.sub,
          aud: BROWSER_CLIENT,
          nonce: params.nonce,
        },
      },
    })
    if (!login?.ok) throw new Error('login failed')
    // Profile claims come from userinfo in the code flow (OpenID Connect Core §5.4).
    expect(login.tokens.idTokenClaims).not.toHaveProperty('email')
    // The page fetched the provider's keys to check the ID token's signature.
    expect(provider.control.requests({ endpoint: 'jwks' }).length).toBeGreaterThan(0)
    expect(
      provider.control.requests({ endpoint: 'token', grantType: 'authorization_code' }),
    ).toHaveLength(1)
    // The page took the code and state out of the address bar.
    expect(page.url()).toBe(pages.url('core'))

    const refreshed = await page.evaluate(() => window.coreSuite.refresh())
    expect(refreshed).toMatchObject({ ok: true, tokens: { tokenType: 'Bearer' } })
    if (!refreshed.ok) throw new Error('refresh failed')
    expect(refreshed.tokens.accessToken).not.toBe(login.tokens.accessToken)
    expect(refreshed.tokens.refreshToken).toBeDefined()
    expect(refreshed.tokens.refreshToken).not.toBe(login.tokens.refreshToken)
    expect(
      provider.control
        .requests({ endpoint: 'token', grantType: 'refresh_token' })
        .map((r) => r.status),
    ).toEqual([200])

    const info = await page.evaluate(() => window.coreSuite.userinfo())
    expect(info).toMatchObject({
      ok: true,
      claims: { sub: alice.sub, email: alice.claims.email, name: alice.claims.name },
    })

    // The same response again: the provider refuses the used code, and the page says so typed.
    const replay = await page.evaluate(() => window.coreSuite.replayCallback())
    expect(replay).toMatchObject({
      ok: false,
      name: 'OAuthError',
      code: 'INVALID_GRANT',
      error: 'invalid_grant',
    })
  })

  test('refuses an ID token with a bad signature', async ({ page, pages, provider }) => {
    await openPage(page, pages, 'core')
    provider.control.setFaults({ idToken: { badSignature: true } })
    await page.evaluate(
      ([issuer, clientId, scope]) => window.coreSuite.beginLogin(issuer, { clientId, scope }),
      [provider.issuer, BROWSER_CLIENT, BROWSER_SCOPE] as const,
    )
    await signIn(page, provider.issuer)
    await waitForPage(page)
    const login = await page.evaluate(() => window.coreSuite.callback)
    expect(login).toMatchObject({
      ok: false,
      name: 'ValidationError',
      code: 'JWT_SIGNATURE_INVALID',
    })
    // The code was exchanged (that is where the ID token came from) and the transaction is gone.
    expect(
      provider.control.requests({ endpoint: 'token', grantType: 'authorization_code' }),
    ).toHaveLength(1)
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0)
  })

  test('refuses an authorization response from another issuer (RFC 9207)', async ({
    page,
    pages,
    provider,
  }) => {
    await openPage(page, pages, 'core')
    provider.control.setFaults({ authorizationResponse: { iss: 'wrong' } })
    await page.evaluate(
      ([issuer, clientId, scope]) => window.coreSuite.beginLogin(issuer, { clientId, scope }),
      [provider.issuer, BROWSER_CLIENT, BROWSER_SCOPE] as const,
    )
    await signIn(page, provider.issuer)
    await waitForPage(page)
    const login = await page.evaluate(() => window.coreSuite.callback)
    expect(login).toMatchObject({ ok: false, code: 'ISS_MISMATCH' })
    // Refused before the code was ever sent to a token endpoint.
    expect(provider.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })
})
