import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CookieJar,
  completeLogin,
  type ReferenceServer,
  startReferenceServer,
} from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import {
  authorizeUrl,
  basic,
  type Json,
  loginTokens,
  pkce,
  tokenRequest,
  userinfo,
} from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    enableControlEndpoint: true,
  })
})
afterAll(() => server.close())

const form = { 'content-type': 'application/x-www-form-urlencoded' }
const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${server.issuer}${path}`, {
    method: 'POST',
    headers: { ...form, ...headers },
    body: new URLSearchParams(body),
    redirect: 'manual',
  })
const web = { authorization: basic('web', 'web-secret') }

describe('discovery and JWKS', () => {
  it('advertises every endpoint and feature', async () => {
    for (const path of [
      '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server',
    ]) {
      const meta: Json = await (await fetch(`${server.issuer}${path}`)).json()
      expect(meta.issuer).toBe(server.issuer)
      expect(meta).toMatchObject({
        authorization_endpoint: `${server.issuer}/authorize`,
        token_endpoint: `${server.issuer}/token`,
        jwks_uri: `${server.issuer}/jwks`,
        end_session_endpoint: `${server.issuer}/end_session`,
        pushed_authorization_request_endpoint: `${server.issuer}/par`,
        device_authorization_endpoint: `${server.issuer}/device_authorization`,
        introspection_endpoint: `${server.issuer}/introspect`,
        revocation_endpoint: `${server.issuer}/revoke`,
        authorization_response_iss_parameter_supported: true,
        code_challenge_methods_supported: ['S256'],
      })
      expect(meta.dpop_signing_alg_values_supported).toContain('ES256')
      for (const g of [
        'urn:ietf:params:oauth:grant-type:token-exchange',
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
        'urn:ietf:params:oauth:grant-type:saml2-bearer',
        'urn:ietf:params:oauth:grant-type:device_code',
        'organization_switch',
      ]) {
        expect(meta.grant_types_supported).toContain(g)
      }
      expect(meta.response_modes_supported).toEqual(['query', 'fragment', 'form_post'])
    }
  })

  it('publishes RS256 and ES256 keys; rotation keeps old keys unless dropped', async () => {
    const jwks = async (): Promise<Json> => (await fetch(`${server.issuer}/jwks`)).json()
    const before = await jwks()
    expect(before.keys.map((k: Json) => k.alg).sort()).toEqual(['ES256', 'RS256'])
    expect(before.keys.every((k: Json) => !('d' in k) && k.kid && k.use === 'sig')).toBe(true)
    await server.control.rotateKeys()
    const after = await jwks()
    expect(after.keys).toHaveLength(4)
    await server.control.rotateKeys({ dropOld: true })
    const dropped = await jwks()
    expect(dropped.keys).toHaveLength(2)
    expect(dropped.keys.some((k: Json) => before.keys.some((b: Json) => b.kid === k.kid))).toBe(
      false,
    )
  })
})

describe('CORS for the demo SPA origin', () => {
  it('answers preflight and simple requests for registered origins only', async () => {
    const preflight = await fetch(`${server.issuer}/token`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:4001',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'dpop, content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:4001')
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('dpop')
    const get = await fetch(`${server.issuer}/jwks`, {
      headers: { origin: 'http://127.0.0.1:4001' },
    })
    expect(get.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:4001')
    expect(get.headers.get('access-control-expose-headers')).toContain('DPoP-Nonce')
    const evil = await fetch(`${server.issuer}/jwks`, {
      headers: { origin: 'https://evil.example.test' },
    })
    expect(evil.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('lets a known origin register a client and manage it (RFC 7591 POST, RFC 7592 PUT/DELETE)', async () => {
    const origin = 'http://127.0.0.1:4001'
    const preflight = (path: string, method: string) =>
      fetch(`${server.issuer}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': method,
          'access-control-request-headers': 'authorization, content-type',
        },
      })
    const register = await preflight('/register', 'POST')
    expect(register.headers.get('access-control-allow-origin')).toBe(origin)
    for (const method of ['PUT', 'DELETE']) {
      const manage = await preflight('/register/some-client', method)
      expect(manage.headers.get('access-control-allow-origin'), method).toBe(origin)
      expect(manage.headers.get('access-control-allow-methods'), method).toContain(method)
    }
    const created = await fetch(`${server.issuer}/register`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: [`${origin}/callback.html`],
        token_endpoint_auth_method: 'none',
      }),
    })
    expect(created.status).toBe(201)
    expect(created.headers.get('access-control-allow-origin')).toBe(origin)
  })
})

describe('PAR (RFC 9126)', () => {
  it('pushes a request and authorizes with the request_uri once', async () => {
    const p = pkce()
    const res = await post(
      '/par',
      {
        response_type: 'code',
        redirect_uri: 'http://127.0.0.1:4002/callback',
        scope: 'openid',
        state: 's-par',
        code_challenge: await p.challenge(),
        code_challenge_method: 'S256',
      },
      web,
    )
    expect(res.status).toBe(201)
    const { request_uri, expires_in } = await res.json()
    expect(request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    expect(expires_in).toBe(60)
    const url = new URL(`${server.issuer}/authorize`)
    url.searchParams.set('client_id', 'web')
    url.searchParams.set('request_uri', request_uri)
    const result = await completeLogin(url)
    expect(result.params.get('state')).toBe('s-par')
    const token = await tokenRequest(
      server.issuer,
      {
        grant_type: 'authorization_code',
        code: result.params.get('code')!,
        redirect_uri: 'http://127.0.0.1:4002/callback',
        code_verifier: p.verifier,
      },
      web,
    )
    expect(token.status).toBe(200)
    const again = await fetch(url, { redirect: 'manual' })
    expect(again.status).toBe(400)
    expect(await again.text()).toContain('invalid_request_uri')
  })

  it('validates pushed requests up front and authenticates the client', async () => {
    const bad = await post(
      '/par',
      { response_type: 'code', redirect_uri: 'http://evil.example.test/' },
      web,
    )
    expect(bad.status).toBe(400)
    expect((await bad.json()).error).toBe('invalid_request')
    const wrong = await post(
      '/par',
      { response_type: 'code', redirect_uri: 'http://127.0.0.1:4002/callback' },
      { authorization: basic('web', 'nope') },
    )
    expect(wrong.status).toBe(401)
  })
})

describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
  /** alice's tokens through the confidential `web` client, which may introspect them. */
  const webTokens = async () =>
    (
      await loginTokens(
        server.issuer,
        completeLogin,
        { client_id: 'web', redirect_uri: 'http://127.0.0.1:4002/callback' },
        web,
      )
    ).body

  it('introspects the tokens of the authenticated client; public clients are refused', async () => {
    const tokens = await webTokens()
    const active: Json = await (
      await post('/introspect', { token: tokens.access_token }, web)
    ).json()
    expect(active).toMatchObject({
      active: true,
      client_id: 'web',
      username: 'alice',
      token_type: 'Bearer',
    })
    const rt: Json = await (await post('/introspect', { token: tokens.refresh_token }, web)).json()
    expect(rt).toMatchObject({ active: true, token_type: 'refresh_token' })
    expect(await (await post('/introspect', { token: 'garbage' }, web)).json()).toEqual({
      active: false,
    })
    const pub = await post('/introspect', { token: tokens.access_token, client_id: 'spa' })
    expect(pub.status).toBe(401)
    expect((await pub.json()).error).toBe('invalid_client')
  })

  it('revoking a refresh token revokes its family; revoking an access token deactivates it', async () => {
    const tokens = (await loginTokens(server.issuer, completeLogin)).body
    expect((await post('/revoke', { token: tokens.refresh_token, client_id: 'spa' })).status).toBe(
      200,
    )
    expect((await userinfo(server.issuer, tokens.access_token)).status).toBe(401)
    const refreshed = await tokenRequest(server.issuer, {
      grant_type: 'refresh_token',
      client_id: 'spa',
      refresh_token: tokens.refresh_token,
    })
    expect(refreshed.body.error).toBe('invalid_grant')
    // Introspection says so too (to the client the tokens belong to).
    const own = await webTokens()
    expect((await post('/revoke', { token: own.refresh_token }, web)).status).toBe(200)
    expect(await (await post('/introspect', { token: own.access_token }, web)).json()).toEqual({
      active: false,
    })

    const t2 = (await loginTokens(server.issuer, completeLogin)).body
    expect(
      (
        await post('/revoke', {
          token: t2.access_token,
          client_id: 'spa',
          token_type_hint: 'access_token',
        })
      ).status,
    ).toBe(200)
    expect((await userinfo(server.issuer, t2.access_token)).status).toBe(401)
    expect((await post('/revoke', { token: 'unknown', client_id: 'spa' })).status).toBe(200)
  })

  it('refuses to revoke another client’s token, and inactive after expiry', async () => {
    const tokens = (await loginTokens(server.issuer, completeLogin)).body
    const other = await post('/revoke', { token: tokens.refresh_token }, web)
    expect(other.status).toBe(400)
    expect((await other.json()).error).toBe('unauthorized_client')
    const own = await webTokens()
    expect(
      (await (await post('/introspect', { token: own.access_token }, web)).json()).active,
    ).toBe(true)
    server.control.setClockOffset(7200)
    try {
      expect(await (await post('/introspect', { token: own.access_token }, web)).json()).toEqual({
        active: false,
      })
    } finally {
      server.control.setClockOffset(0)
    }
  })
})

describe('end_session', () => {
  it('checks id_token_hint, requires a registered post_logout_redirect_uri, echoes state, ends the session', async () => {
    const jar = new CookieJar()
    const tokens = await loginTokens(server.issuer, (url) => completeLogin(url, { cookieJar: jar }))
    const idToken = tokens.body.id_token
    const endUrl = (params: Record<string, string>) => {
      const u = new URL(`${server.issuer}/end_session`)
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
      return u
    }
    const wrongClient = await fetch(endUrl({ id_token_hint: idToken, client_id: 'web' }), {
      redirect: 'manual',
    })
    expect(wrongClient.status).toBe(400)
    const unregistered = await fetch(
      endUrl({ id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:4001/evil' }),
      { redirect: 'manual' },
    )
    expect(unregistered.status).toBe(400)
    const forged = await fetch(endUrl({ id_token_hint: `${idToken}x` }), { redirect: 'manual' })
    expect(forged.status).toBe(400)
    const ok = await fetch(
      endUrl({
        id_token_hint: idToken,
        post_logout_redirect_uri: 'http://127.0.0.1:4001/',
        state: 'bye',
      }),
      { redirect: 'manual', headers: { cookie: jar.header()! } },
    )
    expect(ok.status).toBe(303)
    expect(ok.headers.get('location')).toBe('http://127.0.0.1:4001/?state=bye')
    expect(ok.headers.getSetCookie().join(';')).toMatch(/openrp_session=;/)
    const silent = await authorizeUrl(server.issuer, { prompt: 'none' })
    const res = await fetch(silent.url, { redirect: 'manual', headers: { cookie: jar.header()! } })
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('login_required')
  })
})

describe('end_session without id_token_hint', () => {
  it('asks the signed-in user first; only the form with its one-time token signs out', async () => {
    const jar = new CookieJar()
    await loginTokens(server.issuer, (url) => completeLogin(url, { cookieJar: jar }))
    const cookie = { cookie: jar.header()! }
    const stillSignedIn = async () => {
      const silent = await authorizeUrl(server.issuer, { prompt: 'none' })
      const res = await fetch(silent.url, { redirect: 'manual', headers: cookie })
      return new URL(res.headers.get('location')!).searchParams.get('error') === null
    }
    const back = 'http://127.0.0.1:4001/'
    const ask = await fetch(
      `${server.issuer}/end_session?client_id=spa&state=s1&post_logout_redirect_uri=${encodeURIComponent(back)}`,
      { redirect: 'manual', headers: cookie },
    )
    expect(ask.status).toBe(200)
    const page = await ask.text()
    expect(page).toContain('data-openrp="logout-confirm"')
    const token = /name="logout_confirmation" value="([^"]+)"/.exec(page)?.[1]
    expect(token).toEqual(expect.any(String))
    expect(await stillSignedIn()).toBe(true)

    const post = (fields: Record<string, string>) =>
      fetch(`${server.issuer}/end_session`, {
        method: 'POST',
        headers: { ...cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'spa', post_logout_redirect_uri: back, ...fields }),
        redirect: 'manual',
      })
    // A forged confirmation (another site's form) only asks again.
    const forged = await post({ decision: 'logout', logout_confirmation: 'guess', state: 's1' })
    expect(forged.status).toBe(200)
    expect(await stillSignedIn()).toBe(true)
    // The token of the forged round replaced the first one; read the current one.
    const current = /name="logout_confirmation" value="([^"]+)"/.exec(await forged.text())![1]!
    const confirmed = await post({ decision: 'logout', logout_confirmation: current, state: 's1' })
    expect(confirmed.status).toBe(303)
    expect(confirmed.headers.get('location')).toBe(`${back}?state=s1`)
    expect(await stillSignedIn()).toBe(false)
  })

  it('"Stay signed in" goes back to the client and keeps the session', async () => {
    const jar = new CookieJar()
    await loginTokens(server.issuer, (url) => completeLogin(url, { cookieJar: jar }))
    const cookie = { cookie: jar.header()! }
    const ask = await fetch(`${server.issuer}/end_session`, { headers: cookie })
    const token = /name="logout_confirmation" value="([^"]+)"/.exec(await ask.text())![1]!
    const stay = await fetch(`${server.issuer}/end_session`, {
      method: 'POST',
      headers: { ...cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'stay', logout_confirmation: token }),
    })
    expect(await stay.text()).toContain('Still signed in')
    const silent = await authorizeUrl(server.issuer, { prompt: 'none' })
    const res = await fetch(silent.url, { redirect: 'manual', headers: cookie })
    expect(new URL(res.headers.get('location')!).searchParams.get('code')).toEqual(
      expect.any(String),
    )
  })
})

describe('end_session with the ID token of another user', () => {
  it('asks the signed-in user first (RP-Initiated Logout §2), keeping the session until confirmed', async () => {
    const alice = new CookieJar()
    await loginTokens(server.issuer, (url) => completeLogin(url, { cookieJar: alice }))
    const bob = await loginTokens(server.issuer, (url) =>
      completeLogin(url, { username: 'bob', password: 'builder' }),
    )
    const cookie = { cookie: alice.header()! }
    const back = 'http://127.0.0.1:4001/'
    const ask = await fetch(
      `${server.issuer}/end_session?id_token_hint=${bob.body.id_token}&state=s2&post_logout_redirect_uri=${encodeURIComponent(back)}`,
      { redirect: 'manual', headers: cookie },
    )
    expect(ask.status).toBe(200)
    const page = await ask.text()
    expect(page).toContain('data-openrp="logout-confirm"')
    const silent = await authorizeUrl(server.issuer, { prompt: 'none' })
    const still = await fetch(silent.url, { redirect: 'manual', headers: cookie })
    expect(new URL(still.headers.get('location')!).searchParams.get('code')).toEqual(
      expect.any(String),
    )
    // The form carries the client the hint named: confirming goes back to it with the state.
    const token = /name="logout_confirmation" value="([^"]+)"/.exec(page)![1]!
    const confirmed = await fetch(`${server.issuer}/end_session`, {
      method: 'POST',
      headers: { ...cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: /name="client_id" value="([^"]+)"/.exec(page)![1]!,
        post_logout_redirect_uri: back,
        state: 's2',
        decision: 'logout',
        logout_confirmation: token,
      }),
      redirect: 'manual',
    })
    expect(confirmed.status).toBe(303)
    expect(confirmed.headers.get('location')).toBe(`${back}?state=s2`)
  })
})

describe('/api and the control endpoint', () => {
  it('serves /api/me and /api/data to valid tokens only', async () => {
    const tokens = (
      await loginTokens(server.issuer, completeLogin, { scope: 'openid profile api:read' })
    ).body
    const me = await fetch(`${server.issuer}/api/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(await me.json()).toMatchObject({ client_id: 'spa', name: 'Alice Liddell' })
    const data = await fetch(`${server.issuer}/api/data`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect((await data.json()).items).toHaveLength(3)
    const none = await fetch(`${server.issuer}/api/data`)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toContain('Bearer realm="openrp"')
    const narrow = (await loginTokens(server.issuer, completeLogin, { scope: 'openid' })).body
    const forbidden = await fetch(`${server.issuer}/api/data`, {
      headers: { authorization: `Bearer ${narrow.access_token}` },
    })
    expect(forbidden.status).toBe(403)
    expect(forbidden.headers.get('www-authenticate')).toContain('insufficient_scope')
  })

  it('POST /__control mirrors control', async () => {
    const call = async (body: Json) =>
      (
        await fetch(`${server.issuer}/__control`, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        })
      ).json()
    await call({ action: 'clearRequests' })
    await fetch(`${server.issuer}/jwks`)
    const { requests } = await call({ action: 'requests', filter: { endpoint: 'jwks' } })
    expect(requests).toHaveLength(1)
    expect(
      await call({ action: 'setFaults', faults: { http: { jwks: { status: 503, times: 1 } } } }),
    ).toEqual({ ok: true })
    expect((await fetch(`${server.issuer}/jwks`)).status).toBe(503)
    expect((await fetch(`${server.issuer}/jwks`)).status).toBe(200)
    expect((await call({ action: 'nope' })).error).toBe('invalid_request')
    expect((await call({ action: 'approveDevice', userCode: 'XXXX-XXXX' })).error).toBe(
      'invalid_request',
    )
  })

  it('has no control endpoint unless enabled', async () => {
    const s = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
    try {
      expect((await fetch(`${s.issuer}/__control`, { method: 'POST', body: '{}' })).status).toBe(
        404,
      )
    } finally {
      await s.close()
    }
  })
})

describe('client policies', () => {
  it('require_pushed_authorization_requests and dpop_bound_access_tokens are enforced', async () => {
    const s = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      clients: [
        {
          client_id: 'strict',
          client_secret: 'strict-secret',
          token_endpoint_auth_method: 'client_secret_basic',
          redirect_uris: ['http://127.0.0.1:4002/callback'],
          grant_types: ['authorization_code', 'client_credentials'],
          scope: 'openid api:read',
          require_pushed_authorization_requests: true,
          dpop_bound_access_tokens: true,
        },
      ],
    })
    try {
      const url = new URL(`${s.issuer}/authorize`)
      url.search = new URLSearchParams({
        client_id: 'strict',
        response_type: 'code',
        redirect_uri: 'http://127.0.0.1:4002/callback',
        scope: 'openid',
      }).toString()
      const direct = await fetch(url, { redirect: 'manual' })
      expect(direct.status).toBe(400)
      const noProof = await tokenRequest(
        s.issuer,
        { grant_type: 'client_credentials' },
        { authorization: basic('strict', 'strict-secret') },
      )
      expect(noProof.status).toBe(400)
      expect(noProof.body.error).toBe('invalid_dpop_proof')
    } finally {
      await s.close()
    }
  })
})
