/**
 * Issue 16: the reference server is no more lenient than certified providers where that hid
 * client bugs: PKCE for every code-flow client (RFC 9700 §2.1.1), `offline_access` only with
 * `prompt=consent` (OpenID Connect Core §11), profile claims at userinfo rather than in the ID
 * token (§5.4); and where the specs leave a choice, an option picks node-oidc-provider's
 * behaviour (`iss` beside an ID token), plus userinfo signed for clients registered for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { completeLogin, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { authorizeUrl, basic, claims, type Json, tokenRequest, userinfo } from './helpers.ts'

let server: ReferenceServer
let certifiedLike: ReferenceServer
let lenientOffline: ReferenceServer
beforeAll(async () => {
  ;[server, certifiedLike, lenientOffline] = await Promise.all([
    startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() }),
    startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      authorizationResponseIss: 'without-id-token',
    }),
    startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      offlineAccessWithoutConsent: true,
    }),
  ])
})
afterAll(() => Promise.all([server, certifiedLike, lenientOffline].map((s) => s.close())))

const WEB_REDIRECT = 'http://127.0.0.1:4002/callback'

/** alice's code-flow token response from `on` for `params` (public `spa` by default). */
async function codeTokens(on: ReferenceServer, params: Record<string, string | undefined> = {}) {
  const { url, verifier } = await authorizeUrl(on.issuer, params)
  const { params: response } = await completeLogin(url)
  const code = response.get('code')
  if (!code) throw new Error(`no code: ${response}`)
  return tokenRequest(on.issuer, {
    grant_type: 'authorization_code',
    client_id: 'spa',
    code,
    redirect_uri: 'http://127.0.0.1:4001/callback.html',
    code_verifier: verifier,
  })
}

describe('PKCE for every code-flow client (RFC 9700 §2.1.1)', () => {
  it('refuses a confidential client without code_challenge', async () => {
    const { url } = await authorizeUrl(server.issuer, {
      client_id: 'web',
      redirect_uri: WEB_REDIRECT,
      code_challenge: undefined,
      code_challenge_method: undefined,
    })
    const { params } = await completeLogin(url)
    expect(params.get('error')).toBe('invalid_request')
    expect(params.get('code')).toBeNull()
  })

  it('accepts the confidential client with PKCE', async () => {
    const { url, verifier } = await authorizeUrl(server.issuer, {
      client_id: 'web',
      redirect_uri: WEB_REDIRECT,
    })
    const { params } = await completeLogin(url)
    const res = await tokenRequest(
      server.issuer,
      {
        grant_type: 'authorization_code',
        code: params.get('code')!,
        redirect_uri: WEB_REDIRECT,
        code_verifier: verifier,
      },
      { authorization: basic('web', 'web-secret') },
    )
    expect(res.status).toBe(200)
  })
})

describe('offline_access (OpenID Connect Core §11)', () => {
  it('is ignored without prompt=consent: no refresh token', async () => {
    const res = await codeTokens(server, { prompt: undefined })
    expect(res.status).toBe(200)
    expect(res.body.refresh_token).toBeUndefined()
    expect(res.body.scope.split(' ')).not.toContain('offline_access')
  })

  it('is granted with prompt=consent', async () => {
    const res = await codeTokens(server, { prompt: 'consent' })
    expect(res.body.refresh_token).toBeTypeOf('string')
    expect(res.body.scope.split(' ')).toContain('offline_access')
  })

  it('is granted without prompt=consent when the server is told to (offlineAccessWithoutConsent)', async () => {
    const res = await codeTokens(lenientOffline, { prompt: undefined })
    expect(res.body.refresh_token).toBeTypeOf('string')
  })

  it('is ignored for a response type without a code, even with prompt=consent', async () => {
    const { url } = await authorizeUrl(lenientOffline.issuer, {
      client_id: 'legacy-spa',
      response_type: 'id_token token',
      nonce: 'n-1',
      code_challenge: undefined,
      code_challenge_method: undefined,
    })
    const { params } = await completeLogin(url)
    const at = claims(params.get('access_token')!)
    expect(at.scope.split(' ')).not.toContain('offline_access')
  })
})

describe('profile claims at userinfo (OpenID Connect Core §5.4)', () => {
  it('code flow: not in the ID token, at userinfo', async () => {
    const res = await codeTokens(server, { nonce: 'n-1' })
    const id = claims(res.body.id_token)
    expect(id.name).toBeUndefined()
    expect(id.email).toBeUndefined()
    const info = (await (await userinfo(server.issuer, res.body.access_token)).json()) as Json
    expect(info).toMatchObject({ sub: id.sub, name: expect.any(String), email: expect.any(String) })
  })

  it('code id_token: not in the front-channel ID token either', async () => {
    const { url } = await authorizeUrl(server.issuer, {
      client_id: 'legacy-spa',
      response_type: 'code id_token',
      nonce: 'n-1',
    })
    const { params } = await completeLogin(url)
    expect(claims(params.get('id_token')!).name).toBeUndefined()
  })

  it('response_type=id_token (no access token): in the ID token', async () => {
    const { url } = await authorizeUrl(server.issuer, {
      client_id: 'legacy-spa',
      response_type: 'id_token',
      nonce: 'n-1',
      code_challenge: undefined,
      code_challenge_method: undefined,
    })
    const { params } = await completeLogin(url)
    expect(claims(params.get('id_token')!)).toMatchObject({
      name: expect.any(String),
      email: expect.any(String),
    })
  })
})

describe('authorizationResponseIss', () => {
  it.each(['code id_token', 'id_token token'])(
    'without-id-token: %s comes without iss, as node-oidc-provider sends it',
    async (responseType) => {
      const { url } = await authorizeUrl(certifiedLike.issuer, {
        client_id: 'legacy-spa',
        response_type: responseType,
        nonce: 'n-1',
        ...(!responseType.includes('code') && {
          code_challenge: undefined,
          code_challenge_method: undefined,
        }),
      })
      const { params } = await completeLogin(url)
      expect(params.get('id_token')).toBeTruthy()
      expect(params.has('iss')).toBe(false)
    },
  )

  it('without-id-token: code and code token keep iss', async () => {
    for (const responseType of ['code', 'code token']) {
      const { url } = await authorizeUrl(certifiedLike.issuer, {
        client_id: 'legacy-spa',
        response_type: responseType,
      })
      const { params } = await completeLogin(url)
      expect(params.get('iss')).toBe(certifiedLike.issuer)
    }
  })

  it('always (default): iss beside the ID token too', async () => {
    const { url } = await authorizeUrl(server.issuer, {
      client_id: 'legacy-spa',
      response_type: 'code id_token',
      nonce: 'n-1',
    })
    const { params } = await completeLogin(url)
    expect(params.get('iss')).toBe(server.issuer)
  })
})

describe('userinfo_signed_response_alg', () => {
  async function registeredTokens(): Promise<string> {
    const registration = await fetch(`${server.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: ['http://127.0.0.1:4001/callback.html'],
        token_endpoint_auth_method: 'none',
        scope: 'openid profile',
        userinfo_signed_response_alg: 'ES256',
      }),
    })
    const client = (await registration.json()) as Json
    expect(client.userinfo_signed_response_alg).toBe('ES256')
    const { url, verifier } = await authorizeUrl(server.issuer, {
      client_id: client.client_id,
      scope: 'openid profile',
    })
    const { params } = await completeLogin(url)
    const res = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code: params.get('code')!,
      redirect_uri: 'http://127.0.0.1:4001/callback.html',
      code_verifier: verifier,
    })
    return res.body.access_token
  }

  it('answers a JWT signed with the registered alg', async () => {
    const res = await userinfo(server.issuer, await registeredTokens())
    expect(res.headers.get('content-type')).toMatch(/^application\/jwt/)
    const jwt = await res.text()
    const header = JSON.parse(atob(jwt.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/')))
    expect(header.alg).toBe('ES256')
    expect(claims(jwt)).toMatchObject({ iss: server.issuer, name: expect.any(String) })
  })

  it('fault plain: answers JSON all the same', async () => {
    const token = await registeredTokens()
    server.control.setFaults({ userinfo: { plain: true } })
    try {
      const res = await userinfo(server.issuer, token)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    } finally {
      server.control.resetFaults()
    }
  })

  it('refuses an alg it cannot sign with', async () => {
    const res = await fetch(`${server.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: ['http://127.0.0.1:4001/callback.html'],
        userinfo_signed_response_alg: 'HS256',
      }),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as Json).error).toBe('invalid_client_metadata')
  })
})
