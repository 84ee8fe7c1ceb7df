import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CookieJar,
  completeLogin,
  type ReferenceServer,
  startReferenceServer,
} from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { authorizeUrl, claims, tokenRequest, userinfo } from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => server.close())

const REDIRECT = 'http://127.0.0.1:4001/callback.html'

async function exchange(code: string, verifier: string, extra: Record<string, string> = {}) {
  return tokenRequest(server.issuer, {
    grant_type: 'authorization_code',
    client_id: 'spa',
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    ...extra,
  })
}

describe('authorization code + PKCE', () => {
  it('logs in, returns state and iss, and issues ID, access and refresh tokens', async () => {
    const { url, verifier } = await authorizeUrl(server.issuer, { nonce: 'n-1' })
    const result = await completeLogin(url)
    expect(result.method).toBe('query')
    expect(result.url.origin + result.url.pathname).toBe(REDIRECT)
    expect(result.params.get('state')).toBe('st-123')
    expect(result.params.get('iss')).toBe(server.issuer)
    const res = await exchange(result.params.get('code')!, verifier)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.body.token_type).toBe('Bearer')
    const id = claims(res.body.id_token)
    expect(id).toMatchObject({
      iss: server.issuer,
      aud: 'spa',
      nonce: 'n-1',
    })
    // Profile and email claims are served by userinfo in the code flow (OIDC Core §5.4).
    expect(id.email).toBeUndefined()
    expect(id.name).toBeUndefined()
    expect(id.auth_time).toBeTypeOf('number')
    expect(id.at_hash).toBeTypeOf('string')
    const at = claims(res.body.access_token)
    expect(at).toMatchObject({
      iss: server.issuer,
      client_id: 'spa',
      sub: id.sub,
      aud: server.issuer,
    })
    expect(res.body.refresh_token).toBeTypeOf('string')
    const info = await userinfo(server.issuer, res.body.access_token)
    expect(info.status).toBe(200)
    expect(await info.json()).toMatchObject({ sub: id.sub, email: 'alice@example.test' })
  })

  it('refuses a replayed code and revokes the tokens issued from it', async () => {
    const { url, verifier } = await authorizeUrl(server.issuer, {})
    const code = (await completeLogin(url)).params.get('code')!
    const first = await exchange(code, verifier)
    expect(first.status).toBe(200)
    const replay = await exchange(code, verifier)
    expect(replay.status).toBe(400)
    expect(replay.body.error).toBe('invalid_grant')
    expect((await userinfo(server.issuer, first.body.access_token)).status).toBe(401)
    const refresh = await tokenRequest(server.issuer, {
      grant_type: 'refresh_token',
      client_id: 'spa',
      refresh_token: first.body.refresh_token,
    })
    expect(refresh.body.error).toBe('invalid_grant')
  })

  it('refuses a wrong code_verifier, a missing one, and a different redirect_uri', async () => {
    const cases: Record<string, string>[] = [
      { code_verifier: 'x'.repeat(43) },
      { redirect_uri: 'http://127.0.0.1:4001/' },
    ]
    for (const extra of cases) {
      const { url, verifier } = await authorizeUrl(server.issuer, {})
      const code = (await completeLogin(url)).params.get('code')!
      const res = await exchange(code, verifier, extra)
      expect(res.status).toBe(400)
      expect(res.body.error).toBe('invalid_grant')
    }
    const { url } = await authorizeUrl(server.issuer, {})
    const code = (await completeLogin(url)).params.get('code')!
    const res = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      client_id: 'spa',
      code,
      redirect_uri: REDIRECT,
    })
    expect(res.body.error).toBe('invalid_grant')
  })

  it('refuses PKCE plain and a public client without PKCE, by redirect', async () => {
    const plain = await authorizeUrl(server.issuer, {
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'plain',
    })
    const r1 = await completeLogin(plain.url)
    expect(r1.params.get('error')).toBe('invalid_request')
    expect(r1.params.get('state')).toBe('st-123')
    expect(r1.params.get('iss')).toBe(server.issuer)
    const none = await authorizeUrl(server.issuer, {
      code_challenge: undefined,
      code_challenge_method: undefined,
    })
    expect((await completeLogin(none.url)).params.get('error')).toBe('invalid_request')
  })

  it('never redirects to an unregistered redirect_uri or for an unknown client', async () => {
    for (const params of [
      { redirect_uri: 'http://127.0.0.1:4001/evil' },
      { redirect_uri: 'http://127.0.0.1:4001/callback.html/' },
      { client_id: 'nobody' },
    ]) {
      const { url } = await authorizeUrl(server.issuer, params)
      const res = await fetch(url, { redirect: 'manual' })
      expect(res.status).toBe(400)
      expect(res.headers.get('location')).toBeNull()
      expect(await res.text()).toContain('data-openrp-error="invalid_request"')
    }
  })

  it('matches loopback redirect URIs of native clients on any port (RFC 8252)', async () => {
    const { url } = await authorizeUrl(server.issuer, {
      client_id: 'cli',
      redirect_uri: 'http://127.0.0.1:53123/callback',
    })
    const result = await completeLogin(url)
    expect(result.url.port).toBe('53123')
    expect(result.params.get('code')).toBeTruthy()
    const other = await authorizeUrl(server.issuer, {
      client_id: 'cli',
      redirect_uri: 'http://127.0.0.1:53123/other',
    })
    expect((await fetch(other.url, { redirect: 'manual' })).status).toBe(400)
  })

  it('loopback redirect URIs match exactly but for the port (RFC 9700 §4.1.3, RFC 8252 §7.3)', async () => {
    for (const redirect_uri of [
      'http://127.0.0.1:53123/x/../callback',
      'http://127.0.0.1:53123/./callback',
      'http://user@127.0.0.1:53123/callback',
      'HTTP://127.0.0.1:53123/callback',
      'http://127.0.0.1:053123/callback',
      'http://127.0.0.1:53123/callback#',
      'http://127.0.0.1:/callback',
      'http://127.0.0.1:99999/callback',
    ]) {
      const { url } = await authorizeUrl(server.issuer, { client_id: 'cli', redirect_uri })
      const res = await fetch(url, { redirect: 'manual' })
      expect(res.status, redirect_uri).toBe(400)
      expect(res.headers.get('location')).toBeNull()
    }
    const { url } = await authorizeUrl(server.issuer, {
      client_id: 'cli',
      redirect_uri: 'http://127.0.0.1/callback',
    })
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(303)
  })

  it('refuses scopes the client may not ask for', async () => {
    const { url } = await authorizeUrl(server.issuer, { scope: 'openid api:write' })
    expect((await completeLogin(url)).params.get('error')).toBe('invalid_scope')
  })

  it('refuses a code used by another client', async () => {
    const { url, verifier } = await authorizeUrl(server.issuer, {})
    const code = (await completeLogin(url)).params.get('code')!
    const res = await tokenRequest(server.issuer, {
      grant_type: 'authorization_code',
      client_id: 'cli',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    })
    expect(res.body.error).toBe('invalid_grant')
  })
})

describe('login, consent and prompt', () => {
  it('rejects a wrong password on the login page', async () => {
    const { url } = await authorizeUrl(server.issuer, {})
    await expect(completeLogin(url, { username: 'alice', password: 'nope' })).rejects.toMatchObject(
      {
        code: 'login_failed',
      },
    )
  })

  it('pre-fills the login form with login_hint', async () => {
    const { url } = await authorizeUrl(server.issuer, { login_hint: 'bob' })
    const first = await fetch(url, { redirect: 'manual' })
    const jar = new CookieJar()
    jar.store(first)
    const page = await fetch(new URL(first.headers.get('location')!, url), {
      headers: { cookie: jar.header()! },
    })
    const html = await page.text()
    expect(html).toMatch(/name="username"[^>]*value="bob"/)
    expect(page.headers.get('x-frame-options')).toBe('DENY')
  })

  it('binds the login page to the browser that started the request', async () => {
    const { url } = await authorizeUrl(server.issuer, {})
    const first = await fetch(url, { redirect: 'manual' })
    const login = new URL(first.headers.get('location')!, url)
    const otherBrowser = await fetch(login)
    expect(otherBrowser.status).toBe(400)
    const jar = new CookieJar()
    jar.store(first)
    const sameBrowser = await fetch(login, { headers: { cookie: jar.header()! } })
    expect(sameBrowser.status).toBe(200)
  })

  it('answers access_denied when the user denies consent', async () => {
    const { url } = await authorizeUrl(server.issuer, {})
    const result = await completeLogin(url, { username: 'bob', deny: true })
    expect(result.params.get('error')).toBe('access_denied')
    expect(result.params.get('state')).toBe('st-123')
  })

  it('prompt=none: login_required without a session, silent success with one', async () => {
    const jar = new CookieJar()
    const silent = await authorizeUrl(server.issuer, { prompt: 'none' })
    expect((await completeLogin(silent.url, { cookieJar: jar })).params.get('error')).toBe(
      'login_required',
    )
    await completeLogin((await authorizeUrl(server.issuer, {})).url, { cookieJar: jar })
    const again = await authorizeUrl(server.issuer, { prompt: 'none' })
    const res = await fetch(again.url, { redirect: 'manual', headers: { cookie: jar.header()! } })
    expect(res.status).toBe(303)
    expect(res.headers.get('x-frame-options')).toBeNull()
    const location = new URL(res.headers.get('location')!)
    expect(location.searchParams.get('code')).toBeTruthy()
  })

  it('prompt=none: consent_required when the scopes were never consented', async () => {
    const jar = new CookieJar()
    await completeLogin((await authorizeUrl(server.issuer, { scope: 'openid' })).url, {
      cookieJar: jar,
    })
    const { url } = await authorizeUrl(server.issuer, { prompt: 'none', scope: 'openid api:read' })
    expect((await completeLogin(url, { cookieJar: jar })).params.get('error')).toBe(
      'consent_required',
    )
  })

  it('prompt=login and max_age=0 force a new login; auth_time follows', async () => {
    const jar = new CookieJar()
    await completeLogin((await authorizeUrl(server.issuer, {})).url, { cookieJar: jar })
    for (const params of [{ prompt: 'login' }, { max_age: '0' }]) {
      const { url } = await authorizeUrl(server.issuer, params)
      const first = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header()! } })
      expect(first.headers.get('location')).toMatch(/^\/login\?/)
      // The new login happens later on the server's clock (moved instead of waited for).
      server.control.setClockOffset(10)
      try {
        const before = Math.floor(Date.now() / 1000) + 10
        const { url: u2, verifier } = await authorizeUrl(server.issuer, params)
        const result = await completeLogin(u2, { cookieJar: jar })
        const res = await exchange(result.params.get('code')!, verifier)
        expect(claims(res.body.id_token).auth_time).toBeGreaterThanOrEqual(before)
      } finally {
        server.control.setClockOffset(0)
      }
    }
  })

  it('prompt=none cannot be combined with other values', async () => {
    const { url } = await authorizeUrl(server.issuer, { prompt: 'none login' })
    expect((await completeLogin(url)).params.get('error')).toBe('invalid_request')
  })

  it('puts a supported acr_values value in the ID token', async () => {
    const { url, verifier } = await authorizeUrl(server.issuer, {
      acr_values: 'urn:x urn:openrp:loa:2',
    })
    const res = await exchange((await completeLogin(url)).params.get('code')!, verifier)
    expect(claims(res.body.id_token).acr).toBe('urn:openrp:loa:2')
  })

  it('accepts POST at the authorization endpoint', async () => {
    const { url, verifier } = await authorizeUrl(server.issuer, {})
    const res = await fetch(`${server.issuer}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: url.searchParams,
      redirect: 'manual',
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toMatch(/^\/login\?interaction=/)
    expect(verifier).toBeTruthy()
  })
})
