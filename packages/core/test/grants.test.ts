import { SignJWT, importJWK } from 'jose'
import { DEMO_ASSERTION_ISSUER, DEMO_PRIVATE_KEY_JWK, DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { TOKEN_TYPES, TokenSet } from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const alice = DEMO_USERS[0]!

async function aliceTokens(scope = 'openid profile offline_access api:read') {
  const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT, scope })
  const { params, transaction } = await login(client)
  return { client, tokens: await client.handleAuthorizationResponse(params, transaction) }
}

describe('client credentials', () => {
  it('gets a token with client_secret_basic, scope and audience', async () => {
    const client = await h.client({ clientId: 'm2m', clientSecret: 'm2m-secret' })
    const tokens = await client.clientCredentials({
      scope: 'api:read',
      audience: 'https://api.example.test',
    })
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.scope).toBe('api:read')
    expect(tokens.idToken).toBeUndefined()
    const info = await client.introspect(tokens.accessToken)
    expect(info.active).toBe(true)
    expect([info.aud].flat()).toContain('https://api.example.test')
  })

  it('sends an RFC 8707 resource', async () => {
    const client = await h.client({ clientId: 'm2m', clientSecret: 'm2m-secret' })
    const tokens = await client.clientCredentials({ resource: 'https://downstream.example.test' })
    const info = await client.introspect(tokens)
    expect([info.aud].flat()).toContain('https://downstream.example.test')
  })

  it('authenticates with client_secret_post', async () => {
    const client = await h.client({
      clientId: 'exchange',
      clientSecret: 'exchange-secret',
      clientAuth: 'client_secret_post',
    })
    await expect(client.clientCredentials({ scope: 'api:read' })).resolves.toBeInstanceOf(TokenSet)
  })

  it('authenticates with client_secret_jwt', async () => {
    const client = await h.client({
      clientId: 'secret-jwt',
      clientSecret: 'secret-jwt-secret-that-is-at-least-32-bytes-long',
      clientAuth: 'client_secret_jwt',
    })
    await expect(client.clientCredentials({ scope: 'api:read' })).resolves.toBeInstanceOf(TokenSet)
  })

  it('authenticates with private_key_jwt from a JWK and from a CryptoKey', async () => {
    const fromJwk = await h.client({ clientId: 'pkjwt', privateKey: DEMO_PRIVATE_KEY_JWK })
    await expect(fromJwk.clientCredentials({ scope: 'api:read' })).resolves.toBeInstanceOf(TokenSet)
    const key = (await importJWK(DEMO_PRIVATE_KEY_JWK, 'ES256')) as CryptoKey
    const fromKey = await h.client({
      clientId: 'pkjwt',
      privateKey: { key, kid: DEMO_PRIVATE_KEY_JWK.kid },
    })
    await expect(fromKey.clientCredentials({ scope: 'api:read' })).resolves.toBeInstanceOf(TokenSet)
  })

  it('maps a wrong secret to OAuthError invalid_client with status 401', async () => {
    const client = await h.client({ clientId: 'm2m', clientSecret: 'wrong' })
    await expect(client.clientCredentials()).rejects.toMatchObject({
      code: 'OAUTH_ERROR',
      error: 'invalid_client',
      status: 401,
    })
  })
})

describe('refresh', () => {
  it('refreshes, keeps sub/iss, rotates or keeps the refresh token', async () => {
    const { client, tokens } = await aliceTokens()
    const fresh = await client.refresh(tokens)
    expect(fresh.accessToken).not.toBe(tokens.accessToken)
    expect(fresh.refreshToken).toEqual(expect.any(String))
    expect(fresh.claims()?.sub).toBe(alice.sub)
    expect(fresh.idToken).toEqual(expect.any(String))
    const again = await client.refresh(fresh.refreshToken!)
    expect(again.accessToken).toEqual(expect.any(String))
  })

  it('maps a reused (rotated) refresh token to INVALID_GRANT', async () => {
    const { client, tokens } = await aliceTokens()
    const fresh = await client.refresh(tokens)
    if (fresh.refreshToken === tokens.refreshToken) return
    await expect(client.refresh(tokens)).rejects.toMatchObject({
      code: 'INVALID_GRANT',
      error: 'invalid_grant',
    })
  })

  it('refuses a TokenSet without a refresh token', async () => {
    const { client } = await aliceTokens('openid')
    await expect(
      client.refresh(new TokenSet({ accessToken: 'a', tokenType: 'Bearer' })),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })
})

describe('token exchange, JWT bearer, password, vendor grant', () => {
  const gateway = () =>
    h.client({
      clientId: 'exchange',
      clientSecret: 'exchange-secret',
      clientAuth: 'client_secret_post',
    })

  it('exchanges an access token (impersonation) for another audience', async () => {
    const { tokens } = await aliceTokens()
    const client = await gateway()
    const exchanged = await client.tokenExchange({
      subjectToken: tokens.accessToken,
      subjectTokenType: TOKEN_TYPES.accessToken,
      audience: 'https://downstream.example.test',
      requestedTokenType: TOKEN_TYPES.accessToken,
    })
    expect(exchanged.issuedTokenType).toBe(TOKEN_TYPES.accessToken)
    const info = await client.introspect(exchanged)
    expect(info.sub).toBe(alice.sub)
  })

  it('exchanges with an actor token (delegation)', async () => {
    const { tokens } = await aliceTokens()
    const client = await gateway()
    const actor = await client.clientCredentials({ scope: 'api:read' })
    const exchanged = await client.tokenExchange({
      subjectToken: tokens.accessToken,
      subjectTokenType: TOKEN_TYPES.accessToken,
      actorToken: actor.accessToken,
      actorTokenType: TOKEN_TYPES.accessToken,
      audience: 'https://downstream.example.test',
    })
    const info = await client.introspect(exchanged)
    expect(info.sub).toBe(alice.sub)
    expect(info.act).toBeDefined()
  })

  it('exchanges for an ID token: token_type N_A (RFC 8693 §2.2.1)', async () => {
    const { tokens } = await aliceTokens()
    const client = await gateway()
    const exchanged = await client.tokenExchange({
      subjectToken: tokens.accessToken,
      subjectTokenType: TOKEN_TYPES.accessToken,
      requestedTokenType: TOKEN_TYPES.idToken,
    })
    expect(exchanged.issuedTokenType).toBe(TOKEN_TYPES.idToken)
    expect(exchanged.tokenType).toBe('N_A')
    expect(exchanged.accessToken.split('.')).toHaveLength(3)
    // Only token exchange accepts N_A: another grant answering it is refused.
    h.server.control.setFaults({ tokenResponse: { tokenType: 'N_A' } })
    await expect(client.clientCredentials({ scope: 'api:read' })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    })
  })

  it('with DPoP: an N_A token need not be bound, an exchanged access token must be', async () => {
    const { tokens } = await aliceTokens()
    const client = await h.client({
      clientId: 'exchange',
      clientSecret: 'exchange-secret',
      clientAuth: 'client_secret_post',
      dpop: true,
    })
    const request = {
      subjectToken: tokens.accessToken,
      subjectTokenType: TOKEN_TYPES.accessToken,
    }
    const idToken = await client.tokenExchange({
      ...request,
      requestedTokenType: TOKEN_TYPES.idToken,
    })
    expect(idToken.tokenType).toBe('N_A')
    h.server.control.setFaults({ tokenResponse: { dropDpopBinding: true } })
    await expect(
      client.tokenExchange({ ...request, requestedTokenType: TOKEN_TYPES.accessToken }),
    ).rejects.toMatchObject({ code: 'DPOP_BINDING_MISSING' })
  })

  it('refuses tokenExchange without a subject token type', async () => {
    const client = await gateway()
    // @ts-expect-error testing bad input
    await expect(client.tokenExchange({ subjectToken: 'x' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('rejects (never throws synchronously) on bad arguments of every grant', async () => {
    const client = await gateway()
    const bad: Array<() => Promise<unknown>> = [
      // @ts-expect-error testing bad input
      () => client.jwtBearer({}),
      // @ts-expect-error testing bad input
      () => client.saml2Bearer({ assertion: 5 }),
      // @ts-expect-error testing bad input
      () => client.password({ username: 'a' }),
      () => client.grant(''),
      // @ts-expect-error testing bad input
      () => client.grant('organization_switch', { token: 5 }),
      () => client.userinfo(''),
      () => client.introspect(''),
      () => client.revoke(''),
      () => client.fetchProtectedResource('not a url', 'token'),
      () => client.refresh(''),
    ]
    for (const call of bad) {
      const promise = call()
      expect(promise).toBeInstanceOf(Promise)
      await expect(promise).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
  })

  it('uses a signed JWT assertion (RFC 7523)', async () => {
    const key = await importJWK(DEMO_PRIVATE_KEY_JWK, 'ES256')
    const assertion = await new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: DEMO_PRIVATE_KEY_JWK.kid })
      .setIssuer(DEMO_ASSERTION_ISSUER)
      .setSubject(alice.sub)
      .setAudience(h.server.issuer)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key)
    const client = await gateway()
    const tokens = await client.jwtBearer({ assertion, scope: 'api:read' })
    expect((await client.introspect(tokens)).sub).toBe(alice.sub)
    // the jti is single use at the server: the same assertion is refused
    await expect(client.jwtBearer({ assertion })).rejects.toMatchObject({ code: 'INVALID_GRANT' })
  })

  it('sends a SAML assertion base64url-encoded (an untrusted one is refused)', async () => {
    const client = await gateway()
    await expect(
      client.saml2Bearer({
        assertion: '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/>',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_GRANT' })
    expect(h.server.control.requests({ endpoint: 'token' }).at(-1)?.grantType).toBe(
      'urn:ietf:params:oauth:grant-type:saml2-bearer',
    )
  })

  it('runs the legacy password grant and validates its ID token', async () => {
    const client = await h.client({
      clientId: 'legacy-password',
      clientSecret: 'password-secret',
      clientAuth: 'client_secret_post',
    })
    const tokens = await client.password({
      username: 'alice',
      password: 'wonderland',
      scope: 'openid profile',
    })
    expect(tokens.claims()?.sub).toBe(alice.sub)
    await expect(client.password({ username: 'alice', password: 'nope' })).rejects.toMatchObject({
      code: 'INVALID_GRANT',
    })
  })

  it('runs a vendor grant (organization_switch)', async () => {
    const { tokens } = await aliceTokens()
    const client = await gateway()
    const switched = await client.grant('organization_switch', {
      token: tokens.accessToken,
      switching_organization: 'acme',
    })
    const me = await client.fetchProtectedResource(`${h.server.issuer}/api/me`, switched)
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ sub: alice.sub, org_id: 'acme' })
  })
})

describe('userinfo, introspection, revocation, end session, resources', () => {
  it('reads userinfo and checks its sub against the ID token', async () => {
    const { client, tokens } = await aliceTokens()
    const info = await client.userinfo(tokens)
    expect(info).toMatchObject({ sub: alice.sub, name: 'Alice Liddell' })
    await expect(
      client.userinfo(tokens.accessToken, { expectedSubject: 'someone-else' }),
    ).rejects.toMatchObject({
      code: 'USERINFO_SUB_MISMATCH',
    })
  })

  it('revokes a refresh token, after which it no longer refreshes', async () => {
    const { client, tokens } = await aliceTokens()
    await client.revoke(tokens.refreshToken!, 'refresh_token')
    await expect(client.refresh(tokens)).rejects.toMatchObject({ code: 'INVALID_GRANT' })
    // revoking an unknown token is not an error (RFC 7009 §2.2)
    await expect(client.revoke('unknown-token')).resolves.toBeUndefined()
  })

  it('takes token_type_hint in an options object, and still as the deprecated positional hint', async () => {
    const bodies: string[] = []
    const client = await h.client({
      clientId: 'm2m',
      clientSecret: 'm2m-secret',
      fetch: async (url, init) => {
        if (typeof init?.body === 'string' || init?.body instanceof URLSearchParams)
          bodies.push(String(init.body))
        return fetch(url, init)
      },
    })
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    expect((await client.introspect(tokens, { tokenTypeHint: 'access_token' })).active).toBe(true)
    expect((await client.introspect(tokens.accessToken, 'access_token')).active).toBe(true)
    await client.revoke(tokens.accessToken, { tokenTypeHint: 'access_token' })
    await client.revoke('unknown-token', 'access_token')
    const hinted = bodies.filter(
      (b) => new URLSearchParams(b).get('token_type_hint') === 'access_token',
    )
    expect(hinted).toHaveLength(4)
  })

  it('builds the end-session URL with id_token_hint, client_id, redirect and state', async () => {
    const { tokens } = await aliceTokens()
    const client = await h.client({
      clientId: 'spa',
      postLogoutRedirectUri: 'http://127.0.0.1:4001/',
    })
    const url = client.endSessionUrl({ idTokenHint: tokens, state: 'st-1' })
    expect(url.origin + url.pathname).toBe(`${h.server.issuer}/end_session`)
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'spa',
      id_token_hint: tokens.idToken,
      post_logout_redirect_uri: 'http://127.0.0.1:4001/',
      state: 'st-1',
    })
    const res = await fetch(url, { redirect: 'manual' })
    expect(res.status).toBeLessThan(400)
  })

  it('calls a protected resource with a Bearer token and surfaces invalid_token', async () => {
    const { client, tokens } = await aliceTokens()
    const res = await client.fetchProtectedResource(`${h.server.issuer}/api/me`, tokens)
    expect(await res.json()).toMatchObject({ sub: alice.sub, token_type: 'Bearer' })
    await expect(
      client.fetchProtectedResource(`${h.server.issuer}/api/me`, 'not-a-token'),
    ).rejects.toMatchObject({
      code: 'OAUTH_ERROR',
      error: 'invalid_token',
      status: 401,
    })
  })
})
