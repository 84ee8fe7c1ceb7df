/**
 * Authorization code + PKCE against node-oidc-provider: public and confidential clients, ES256
 * ID tokens, form_post, PAR, JAR (private_key_jwt), refresh with rotation and a refused replay,
 * userinfo, introspection, revocation and RP-initiated logout.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { decodeProtectedHeader } from 'jose'
import { isOpenRpError } from '@openrp/core'
import {
  type CertifiedOp,
  INTEROP_USER,
  POST_LOGOUT_REDIRECT_URI,
  startCertifiedOp,
} from '../src/index.ts'
import { authorize, clientOf, login, OFFLINE, tokenRequests } from './helpers.ts'

let op: CertifiedOp
beforeAll(async () => {
  op = await startCertifiedOp({ generateKeyPair: fixedKeyPairs() })
})
afterAll(() => op?.close())
beforeEach(() => op.clearRequests())

describe('code + PKCE against node-oidc-provider', () => {
  it('logs a public client in with PKCE S256 and an ES256 ID token, RFC 9207 iss checked', async () => {
    const client = await clientOf(op, 'public', { idTokenSignedResponseAlg: 'ES256' })
    const { url, transaction } = await authorize(client)
    expect(url.searchParams.get('iss')).toBe(op.issuer)
    const tokens = await client.handleAuthorizationResponse(url, transaction)
    expect(tokens.claims()?.sub).toBe(INTEROP_USER.sub)
    expect(tokens.claims()?.nonce).toBe(transaction.nonce)
    expect(decodeProtectedHeader(tokens.idToken!).alg).toBe('ES256')
    // No offline_access asked for: no refresh token.
    expect(tokens.refreshToken).toBeUndefined()
  })

  it('refuses the code again (replayed authorization code)', async () => {
    const client = await clientOf(op, 'public')
    const { url, transaction } = await authorize(client)
    await client.handleAuthorizationResponse(url, transaction)
    const replay = await client.handleAuthorizationResponse(url, transaction).catch((e) => e)
    expect(isOpenRpError(replay, 'INVALID_GRANT')).toBe(true)
  })

  it('logs a confidential client in (client_secret_basic, PKCE too)', async () => {
    const client = await clientOf(op, 'confidential')
    const { tokens } = await login(client)
    expect(tokens.claims()?.sub).toBe(INTEROP_USER.sub)
    expect(decodeProtectedHeader(tokens.idToken!).alg).toBe('ES256')
  })

  it('takes a form_post response', async () => {
    const client = await clientOf(op, 'confidential')
    const { tokens, response } = await login(client, { responseMode: 'form_post' })
    expect(response.get('code')).toEqual(expect.any(String))
    expect(response.get('iss')).toBe(op.issuer)
    expect(tokens.claims()?.sub).toBe(INTEROP_USER.sub)
  })

  it('pushes the request (PAR, RFC 9126)', async () => {
    const client = await clientOf(op, 'public', { par: true })
    const { url } = await client.createAuthorizationRequest()
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    expect(url.searchParams.get('code_challenge')).toBeNull()
    const { tokens } = await login(client)
    expect(tokens.claims()?.sub).toBe(INTEROP_USER.sub)
    expect(op.requests().filter((r) => r.path === '/request' && r.status === 201)).toHaveLength(2)
  })

  it('signs the request object (JAR, RFC 9101), alone and pushed, with private_key_jwt', async () => {
    const client = await clientOf(op, 'keyed', { requestObject: true })
    const { url } = await client.createAuthorizationRequest()
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request'])
    const { tokens } = await login(client)
    expect(tokens.claims()?.sub).toBe(INTEROP_USER.sub)
    const pushed = await clientOf(op, 'keyed', { requestObject: true, par: true })
    expect((await login(pushed)).tokens.claims()?.sub).toBe(INTEROP_USER.sub)
  })

  it('gets profile claims at userinfo, not in the ID token (OpenID Connect Core §5.4)', async () => {
    const client = await clientOf(op, 'public')
    const { tokens } = await login(client, { scope: 'openid profile email' })
    expect(tokens.claims()?.name).toBeUndefined()
    const user = await client.userinfo(tokens)
    expect(user).toMatchObject({ sub: INTEROP_USER.sub, name: INTEROP_USER.claims.name })
    expect(user.email).toBe(INTEROP_USER.claims.email)
  })

  it('refuses an ID token signed with another alg than idTokenSignedResponseAlg', async () => {
    const client = await clientOf(op, 'public', { idTokenSignedResponseAlg: 'PS256' })
    const refused = await login(client).catch((e) => e)
    expect(isOpenRpError(refused, 'JWT_ALG_NOT_ALLOWED')).toBe(true)
  })

  it('checks auth_time against max_age', async () => {
    const client = await clientOf(op, 'public')
    const { tokens } = await login(client, { maxAge: 300 })
    const authTime = tokens.claims()?.auth_time
    expect(authTime).toEqual(expect.any(Number))
    expect(Math.abs(Date.now() / 1000 - Number(authTime))).toBeLessThan(60)
  })

  it('logs in silently (prompt=none) while the OP session lives, and says login_required without one', async () => {
    const client = await clientOf(op, 'public')
    const first = await login(client)
    const silent = await login(client, { prompt: 'none' }, first.browser)
    expect(silent.tokens.claims()?.sub).toBe(INTEROP_USER.sub)
    expect(silent.tokens.claims()?.sid).toBe(first.tokens.claims()?.sid)
    const stranger = await login(client, { prompt: 'none' }).catch((e) => e)
    expect(isOpenRpError(stranger, 'INTERACTION_REQUIRED')).toBe(true)
    expect(stranger.error).toBe('login_required')
  })

  it('issues no refresh token for offline_access without prompt=consent (OpenID Connect Core §11)', async () => {
    const client = await clientOf(op, 'public')
    const { tokens } = await login(client, { scope: 'openid offline_access' })
    expect(tokens.refreshToken).toBeUndefined()
    expect(tokens.scope?.split(' ')).not.toContain('offline_access')
  })
})

describe('refresh tokens against node-oidc-provider', () => {
  it('rotates the refresh token, and the OP refuses the old one with invalid_grant', async () => {
    const client = await clientOf(op, 'public')
    const { tokens } = await login(client, OFFLINE)
    expect(tokens.refreshToken).toEqual(expect.any(String))
    const refreshed = await client.refresh(tokens)
    expect(refreshed.refreshToken).toEqual(expect.any(String))
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken)
    expect(refreshed.accessToken).not.toBe(tokens.accessToken)
    expect(refreshed.claims()?.sub).toBe(INTEROP_USER.sub)

    const replay = await client.refresh(tokens.refreshToken!).catch((e) => e)
    expect(isOpenRpError(replay, 'INVALID_GRANT')).toBe(true)
    expect(replay.error).toBe('invalid_grant')
    // The OP revokes the whole grant on a replay (RFC 9700 §4.14.2): the rotated one is dead too.
    const after = await client.refresh(refreshed).catch((e) => e)
    expect(isOpenRpError(after, 'INVALID_GRANT')).toBe(true)
    expect(tokenRequests(op, 'refresh_token')).toBe(3)
  })

  it('refreshes a confidential client (client_secret_basic) and keeps the ID token subject', async () => {
    const client = await clientOf(op, 'confidential')
    const { tokens } = await login(client, OFFLINE)
    const refreshed = await client.refresh(tokens)
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken)
    expect(refreshed.claims()?.sub).toBe(INTEROP_USER.sub)
  })

  it('narrows the scope on refresh (RFC 6749 §6)', async () => {
    const client = await clientOf(op, 'confidential')
    const { tokens } = await login(client, OFFLINE)
    const narrowed = await client.refresh(tokens, { scope: 'openid profile' })
    expect(narrowed.scope?.split(' ').sort()).toEqual(['openid', 'profile'])
    const user = await client.userinfo(narrowed)
    expect(user.name).toBe(INTEROP_USER.claims.name)
    expect(user.email).toBeUndefined()
  })

  it('refreshes a private_key_jwt client', async () => {
    const client = await clientOf(op, 'keyed')
    const { tokens } = await login(client, OFFLINE)
    const refreshed = await client.refresh(tokens)
    expect(refreshed.accessToken).toEqual(expect.any(String))
  })
})

describe('introspection, revocation and logout against node-oidc-provider', () => {
  it('introspects an access token and a refresh token (RFC 7662)', async () => {
    const client = await clientOf(op, 'confidential')
    const { tokens } = await login(client, OFFLINE)
    const access = await client.introspect(tokens.accessToken, 'access_token')
    expect(access).toMatchObject({ active: true, sub: INTEROP_USER.sub, client_id: 'confidential' })
    const refresh = await client.introspect(tokens.refreshToken!, 'refresh_token')
    expect(refresh).toMatchObject({ active: true, sub: INTEROP_USER.sub })
    expect(await client.introspect('not-a-token')).toMatchObject({ active: false })
  })

  it('revokes a refresh token (RFC 7009): refresh and introspection then say so', async () => {
    const client = await clientOf(op, 'confidential')
    const { tokens } = await login(client, OFFLINE)
    await client.revoke(tokens.refreshToken!, 'refresh_token')
    expect(await client.introspect(tokens.refreshToken!)).toMatchObject({ active: false })
    const refused = await client.refresh(tokens).catch((e) => e)
    expect(isOpenRpError(refused, 'INVALID_GRANT')).toBe(true)
  })

  it('revokes an access token: userinfo then refuses it', async () => {
    const client = await clientOf(op, 'public')
    const { tokens } = await login(client)
    await client.revoke(tokens.accessToken, 'access_token')
    const refused = await client.userinfo(tokens).catch((e) => e)
    expect(refused.status).toBe(401)
  })

  it("ends the OP's session (RP-initiated logout) and returns to the post-logout URI with state", async () => {
    const client = await clientOf(op, 'public')
    const { tokens, browser } = await login(client)
    const url = client.endSessionUrl({ idTokenHint: tokens.idToken, state: 'bye' })
    const page = await browser.open(url)
    const [form] = page.forms
    expect(form?.action).toBe(`${op.issuer}/session/end/confirm`)
    const done = await browser.post(form!, { logout: 'yes' })
    expect(done.status).toBe(303)
    const back = new URL(done.headers.get('location')!)
    expect(`${back.origin}${back.pathname}`).toBe(POST_LOGOUT_REDIRECT_URI)
    expect(back.searchParams.get('state')).toBe('bye')
    // Signed out at the OP: a silent login now needs the user.
    const silent = await login(client, { prompt: 'none' }, browser).catch((e) => e)
    expect(
      isOpenRpError(silent, 'LOGIN_REQUIRED') || isOpenRpError(silent, 'INTERACTION_REQUIRED'),
    ).toBe(true)
  })

  it('logs out without id_token_hint: client_id names the client of the post-logout URI', async () => {
    const client = await clientOf(op, 'public')
    const { browser } = await login(client)
    const url = client.endSessionUrl({ state: 'no-hint' })
    expect(url.searchParams.get('client_id')).toBe('public')
    const page = await browser.open(url)
    const done = await browser.post(page.forms[0]!, { logout: 'yes' })
    const back = new URL(done.headers.get('location')!)
    expect(`${back.origin}${back.pathname}`).toBe(POST_LOGOUT_REDIRECT_URI)
    expect(back.searchParams.get('state')).toBe('no-hint')
  })
})
