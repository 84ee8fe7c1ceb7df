import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { completeLogin, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import {
  authorizeUrl,
  basic,
  claims,
  dpopKey,
  type Json,
  passwordTokens,
  tokenRequest,
} from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterEach(() => server.control.resetFaults())
afterAll(() => server.close())

/** An ID token from the token endpoint (password grant: no browser needed). */
async function idToken(): Promise<string> {
  const res = await passwordTokens(server.issuer, 'openid')
  return res.body.id_token
}

async function verify(jwt: string) {
  const jwks = await (await fetch(`${server.issuer}/jwks`)).json()
  return jwtVerify(jwt, createLocalJWKSet(jwks), {
    issuer: server.issuer,
    audience: 'legacy-password',
  })
}

const now = () => Math.floor(Date.now() / 1000)

describe('idToken faults', () => {
  it('a clean ID token verifies', async () => {
    await expect(verify(await idToken())).resolves.toBeTruthy()
  })

  it('badSignature, unlistedKey, kid unknown fail verification; kid missing has no kid', async () => {
    for (const fault of [
      { badSignature: true },
      { unlistedKey: true },
      { kid: 'unknown' as const },
    ]) {
      server.control.setFaults({ idToken: fault })
      await expect(verify(await idToken())).rejects.toBeTruthy()
    }
    server.control.setFaults({ idToken: { kid: 'missing' } })
    expect(decodeProtectedHeader(await idToken()).kid).toBeUndefined()
  })

  it('alg none and HS256', async () => {
    server.control.setFaults({ idToken: { alg: 'none' } })
    const none = await idToken()
    expect(decodeProtectedHeader(none).alg).toBe('none')
    expect(none.endsWith('.')).toBe(true)
    server.control.setFaults({ idToken: { alg: 'HS256' } })
    const hs = await idToken()
    expect(decodeProtectedHeader(hs).alg).toBe('HS256')
    await expect(jwtVerify(hs, new TextEncoder().encode('password-secret'))).resolves.toBeTruthy()
  })

  it('claim changes and removals', async () => {
    server.control.setFaults({
      idToken: {
        iss: 'https://evil.example.test',
        aud: ['legacy-password', 'untrusted'],
        azp: null,
        sub: 'someone-else',
        nonce: 'wrong',
      },
    })
    const c = claims(await idToken())
    expect(c).toMatchObject({
      iss: 'https://evil.example.test',
      aud: ['legacy-password', 'untrusted'],
      sub: 'someone-else',
      nonce: 'wrong',
    })
    expect(c.azp).toBeUndefined()
    server.control.setFaults({ idToken: { iss: null, sub: null, aud: null } })
    const removed = claims(await idToken())
    expect(removed.iss).toBeUndefined()
    expect(removed.sub).toBeUndefined()
    expect(removed.aud).toBeUndefined()
  })

  it('exp / iat / auth_time offsets', async () => {
    server.control.setFaults({
      idToken: { expOffset: -60, iatOffset: 3600, authTimeOffset: -7200 },
    })
    const c = claims(await idToken())
    expect(Math.abs(c.exp - (now() - 60))).toBeLessThanOrEqual(2)
    expect(Math.abs(c.iat - (now() + 3600))).toBeLessThanOrEqual(2)
    expect(Math.abs(c.auth_time - (now() - 7200))).toBeLessThanOrEqual(2)
    server.control.setFaults({ idToken: { expOffset: null, iatOffset: null } })
    const c2 = claims(await idToken())
    expect(c2.exp).toBeUndefined()
    expect(c2.iat).toBeUndefined()
  })

  it('at_hash / c_hash / s_hash wrong or removed (front channel)', async () => {
    server.control.setFaults({
      idToken: { atHash: 'wrong', cHash: null, sHash: 'wrong', only: { channel: 'authorization' } },
    })
    const { url } = await authorizeUrl(server.issuer, {
      client_id: 'legacy-spa',
      response_type: 'code id_token token',
      nonce: 'n',
    })
    const p = (await completeLogin(url)).params
    const c = claims(p.get('id_token')!)
    expect(c.c_hash).toBeUndefined()
    expect(c.at_hash).toBeTypeOf('string')
    expect(c.s_hash).toBeTypeOf('string')
    // `only: authorization` leaves token-endpoint ID tokens alone.
    await expect(verify(await idToken())).resolves.toBeTruthy()
  })

  it('times: the fault clears itself; only.grantType filters', async () => {
    server.control.setFaults({ idToken: { badSignature: true, times: 1 } })
    await expect(verify(await idToken())).rejects.toBeTruthy()
    await expect(verify(await idToken())).resolves.toBeTruthy()
    server.control.setFaults({
      idToken: { badSignature: true, only: { grantType: 'refresh_token' } },
    })
    await expect(verify(await idToken())).resolves.toBeTruthy()
  })
})

describe('http faults', () => {
  const m2m = { authorization: basic('m2m', 'm2m-secret') }
  const cc = () =>
    fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { ...m2m, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })

  it('status with an RFC 6749 body and Retry-After, times', async () => {
    server.control.setFaults({ http: { token: { status: 429, retryAfter: '2', times: 1 } } })
    const res = await cc()
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('2')
    expect((await res.json()).error).toBe('temporarily_unavailable')
    expect((await cc()).status).toBe(200)
    for (const [status, error] of [
      [500, 'server_error'],
      [503, 'temporarily_unavailable'],
    ] as const) {
      server.control.setFaults({ http: { token: { status } } })
      const r = await cc()
      expect(r.status).toBe(status)
      expect((await r.json()).error).toBe(error)
    }
  })

  it('delayMs slows the answer', async () => {
    server.control.setFaults({ http: { discovery: { delayMs: 400 } } })
    const t = Date.now()
    const res = await fetch(`${server.issuer}/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
    expect(Date.now() - t).toBeGreaterThanOrEqual(380)
  })

  it('bodies: malformed_json, html, json_array, oversized, empty', async () => {
    const read = async (body: 'malformed_json' | 'html' | 'json_array' | 'oversized' | 'empty') => {
      server.control.setFaults({ http: { token: { body } } })
      const res = await cc()
      return { res, text: await res.text() }
    }
    const malformed = await read('malformed_json')
    expect(() => JSON.parse(malformed.text)).toThrow()
    const html = await read('html')
    expect(html.res.headers.get('content-type')).toContain('text/html')
    expect(Array.isArray(JSON.parse((await read('json_array')).text))).toBe(true)
    expect((await read('oversized')).text.length).toBeGreaterThan(1024 * 1024)
    expect((await read('empty')).text).toBe('')
  })

  it('faulted requests are still logged with client and grant type', async () => {
    server.control.clearRequests()
    server.control.setFaults({ http: { token: { status: 503 } } })
    await cc()
    expect(server.control.requests({ endpoint: 'token' })).toEqual([
      expect.objectContaining({ status: 503, clientId: 'm2m', grantType: 'client_credentials' }),
    ])
  })
})

describe('other faults', () => {
  it('authorizationResponse: wrong / missing state and iss', async () => {
    server.control.setFaults({
      authorizationResponse: { state: 'wrong', iss: 'missing', times: 1 },
    })
    const p1 = (await completeLogin((await authorizeUrl(server.issuer, {})).url)).params
    expect(p1.get('state')).not.toBe('st-123')
    expect(p1.has('iss')).toBe(false)
    server.control.setFaults({ authorizationResponse: { state: 'missing', iss: 'wrong' } })
    const p2 = (await completeLogin((await authorizeUrl(server.issuer, {})).url)).params
    expect(p2.has('state')).toBe(false)
    expect(p2.get('iss')).not.toBe(server.issuer)
  })

  it('pageHeaders: on the HTML pages only', async () => {
    server.control.setFaults({ pageHeaders: { 'Cross-Origin-Opener-Policy': 'same-origin' } })
    const page = await fetch((await authorizeUrl(server.issuer, {})).url, { redirect: 'follow' })
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin')
    const meta = await fetch(`${server.issuer}/.well-known/openid-configuration`)
    expect(meta.headers.get('cross-origin-opener-policy')).toBeNull()
    server.control.resetFaults()
    const plain = await fetch((await authorizeUrl(server.issuer, {})).url, { redirect: 'follow' })
    expect(plain.headers.get('cross-origin-opener-policy')).toBeNull()
  })

  it('discoveryIssuer', async () => {
    server.control.setFaults({ discoveryIssuer: 'https://other.example.test' })
    const meta = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()
    expect(meta.issuer).toBe('https://other.example.test')
  })

  it('tokenResponse: omitExpiresIn, expiresIn, dropDpopBinding', async () => {
    const m2m = { authorization: basic('m2m', 'm2m-secret') }
    server.control.setFaults({ tokenResponse: { omitExpiresIn: true, times: 1 } })
    const a = await tokenRequest(server.issuer, { grant_type: 'client_credentials' }, m2m)
    expect(a.body.expires_in).toBeUndefined()
    server.control.setFaults({ tokenResponse: { expiresIn: '3600' } })
    expect(
      (await tokenRequest(server.issuer, { grant_type: 'client_credentials' }, m2m)).body
        .expires_in,
    ).toBe('3600')
    server.control.setFaults({ tokenResponse: { dropDpopBinding: true } })
    const key = await dpopKey()
    const d = await tokenRequest(
      server.issuer,
      { grant_type: 'client_credentials' },
      { ...m2m, dpop: await key.proof('POST', `${server.issuer}/token`) },
    )
    expect(d.body.token_type).toBe('Bearer')
    expect(claims(d.body.access_token).cnf).toBeUndefined()
  })

  it('tokenResponse.omitIssuedTokenType drops issued_token_type from a token exchange answer', async () => {
    const gateway = { client_id: 'exchange', client_secret: 'exchange-secret' }
    const subject = await tokenRequest(server.issuer, {
      ...gateway,
      grant_type: 'client_credentials',
      scope: 'api:read',
    })
    const exchange = {
      ...gateway,
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: subject.body.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    }
    expect((await tokenRequest(server.issuer, exchange)).body.issued_token_type).toBe(
      'urn:ietf:params:oauth:token-type:access_token',
    )
    server.control.setFaults({ tokenResponse: { omitIssuedTokenType: true } })
    const spoiled = await tokenRequest(server.issuer, exchange)
    expect(spoiled.status).toBe(200)
    expect(spoiled.body.access_token).toEqual(expect.any(String))
    expect(spoiled.body).not.toHaveProperty('issued_token_type')
  })

  it('tokenResponse.tokenType replaces token_type; dropDpopBinding on the code grant answers Bearer', async () => {
    const m2m = { authorization: basic('m2m', 'm2m-secret') }
    server.control.setFaults({ tokenResponse: { tokenType: 'bearer' } })
    expect(
      (await tokenRequest(server.issuer, { grant_type: 'client_credentials' }, m2m)).body
        .token_type,
    ).toBe('bearer')
    server.control.setFaults({ tokenResponse: { dropDpopBinding: true } })
    const key = await dpopKey()
    const { url, verifier } = await authorizeUrl(server.issuer, {})
    const code = (await completeLogin(url)).params.get('code')!
    const res = await tokenRequest(
      server.issuer,
      {
        grant_type: 'authorization_code',
        client_id: 'spa',
        code,
        redirect_uri: 'http://127.0.0.1:4001/callback.html',
        code_verifier: verifier,
      },
      { dpop: await key.proof('POST', `${server.issuer}/token`) },
    )
    expect(res.status).toBe(200)
    expect(res.body.token_type).toBe('Bearer')
  })

  it('idToken.alg ES256 signs with the published ES256 key instead of RS256', async () => {
    server.control.setFaults({ idToken: { alg: 'ES256' } })
    const jwt = await idToken()
    expect(decodeProtectedHeader(jwt).alg).toBe('ES256')
    await expect(verify(jwt)).resolves.toBeTruthy()
  })

  it('userinfo: wrong sub, signed, badSignature', async () => {
    const at = (await passwordTokens(server.issuer, 'openid email')).body.access_token
    const get = () =>
      fetch(`${server.issuer}/userinfo`, { headers: { authorization: `Bearer ${at}` } })
    server.control.setFaults({ userinfo: { sub: 'mallory' } })
    expect((await (await get()).json()).sub).toBe('mallory')
    const jwks = createLocalJWKSet(await (await fetch(`${server.issuer}/jwks`)).json())
    server.control.setFaults({ userinfo: { signed: true } })
    const signed = await get()
    expect(signed.headers.get('content-type')).toContain('application/jwt')
    const { payload } = await jwtVerify(await signed.text(), jwks, {
      issuer: server.issuer,
      audience: 'legacy-password',
    })
    expect(payload.email).toBe('alice@example.test')
    server.control.setFaults({ userinfo: { badSignature: true } })
    await expect(jwtVerify(await (await get()).text(), jwks)).rejects.toBeTruthy()
  })

  it('device: interval / expiresIn raw values and forced slow_down', async () => {
    server.control.setFaults({ device: { interval: '5', expiresIn: 0, slowDown: 1 } })
    const d: Json = await (
      await fetch(`${server.issuer}/device_authorization`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'client_id=tv',
      })
    ).json()
    expect(d.interval).toBe('5')
    expect(d.expires_in).toBe(0)
    const poll = await tokenRequest(server.issuer, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: 'tv',
      device_code: d.device_code,
    })
    expect(poll.body.error).toBe('slow_down')
  })

  it('dpop.rotateNonce sends a new DPoP-Nonce with each success', async () => {
    server.control.setFaults({ dpop: { rotateNonce: true } })
    const key = await dpopKey()
    const nonces = new Set<string>()
    for (let i = 0; i < 2; i++) {
      const res = await tokenRequest(
        server.issuer,
        { grant_type: 'client_credentials' },
        {
          authorization: basic('m2m', 'm2m-secret'),
          dpop: await key.proof('POST', `${server.issuer}/token`),
        },
      )
      nonces.add(res.headers.get('dpop-nonce')!)
    }
    expect(nonces.size).toBe(2)
  })
})

describe('request log', () => {
  it('records endpoint, status, client and grant, never secrets or tokens', async () => {
    server.control.clearRequests()
    const res = await tokenRequest(
      server.issuer,
      { grant_type: 'client_credentials' },
      { authorization: basic('m2m', 'm2m-secret') },
    )
    await fetch(`${server.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${res.body.access_token}` },
    })
    const log = server.control.requests()
    expect(log.map((r) => [r.endpoint, r.status])).toEqual([
      ['token', 200],
      ['userinfo', 401],
    ])
    expect(log[0]).toMatchObject({
      clientId: 'm2m',
      grantType: 'client_credentials',
      method: 'POST',
      path: '/token',
    })
    const text = JSON.stringify(log)
    expect(text).not.toContain('m2m-secret')
    expect(text).not.toContain(res.body.access_token)
    expect(server.control.requests({ grantType: 'client_credentials' })).toHaveLength(1)
  })
})
