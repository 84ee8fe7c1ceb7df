/**
 * JWT-secured authorization requests (JAR, RFC 9101) at /authorize and /par: signature against
 * the client's registered JWKS, iss / aud / exp / iat / nbf, client_id, no nesting, outer
 * parameters ignored, one use per jti, require_signed_request_object, and request_uri refused.
 */
import { generateKeyPair, importJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ClientConfig,
  completeLogin,
  DEMO_CLIENTS,
  DEMO_PRIVATE_KEY_JWK,
  type ReferenceServer,
  startReferenceServer,
} from '../src/index.ts'
import { fixedKeyPairs, ManualClock } from '@openrp/testkit'
import { takeRequestObjectJti } from '../src/request-object.ts'
import { createServerState } from '../src/state.ts'
import { claims, type Json, pkce, tokenRequest } from './helpers.ts'

const REDIRECT = 'http://127.0.0.1:4002/callback'
const pkjwt = DEMO_CLIENTS.find((c) => c.client_id === 'pkjwt')!
const spa = DEMO_CLIENTS.find((c) => c.client_id === 'spa')!
const jarOnly: ClientConfig = {
  ...pkjwt,
  client_id: 'jar-only',
  require_signed_request_object: true,
}

let server: ReferenceServer
let demoKey: CryptoKey
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clients: [pkjwt, jarOnly, spa],
  })
  demoKey = (await importJWK(DEMO_PRIVATE_KEY_JWK, 'ES256')) as CryptoKey
})
afterAll(() => server.close())

const now = () => Math.floor(Date.now() / 1000)

interface SignOptions {
  key?: CryptoKey
  alg?: string
  header?: Record<string, unknown>
}

/** A request object of `clientId` (default pkjwt) signed with the demo key; `claims` override. */
async function requestObject(
  claims: Json = {},
  { key = demoKey, alg = 'ES256', header = {} }: SignOptions = {},
) {
  const p = pkce()
  const clientId = claims.client_id ?? 'pkjwt'
  const t = now()
  const payload: Json = {
    iss: clientId,
    aud: server.issuer,
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    state: 'st-jar',
    nonce: 'n-jar',
    code_challenge: await p.challenge(),
    code_challenge_method: 'S256',
    iat: t,
    nbf: t,
    exp: t + 60,
    jti: crypto.randomUUID(),
    ...claims,
  }
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k]
  const jwt = await new SignJWT(payload)
    .setProtectedHeader({
      alg,
      kid: DEMO_PRIVATE_KEY_JWK.kid,
      typ: 'oauth-authz-req+jwt',
      ...header,
    })
    .sign(key)
  return { jwt, verifier: p.verifier }
}

function authorizeUrl(params: Record<string, string>): URL {
  const url = new URL(`${server.issuer}/authorize`)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return url
}

/** The error the provider shows the user (never redirected) for `url`. */
async function shownError(url: URL): Promise<string | undefined> {
  const res = await fetch(url, { redirect: 'manual' })
  expect(res.status).toBe(400)
  return /data-openrp-error="([^"]*)"/.exec(await res.text())?.[1]
}

/** A private_key_jwt client assertion of `clientId`, signed with the demo key. */
async function clientAssertion(clientId = 'pkjwt') {
  return {
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: DEMO_PRIVATE_KEY_JWK.kid })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(server.issuer)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(demoKey),
  }
}

async function push(params: Record<string, string>, clientId = 'pkjwt') {
  const res = await fetch(`${server.issuer}/par`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, ...(await clientAssertion(clientId)) }),
  })
  return { status: res.status, body: (await res.json()) as Json }
}

async function exchange(code: string, verifier: string, clientId = 'pkjwt') {
  return tokenRequest(server.issuer, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    ...(await clientAssertion(clientId)),
  })
}

describe('request objects at /authorize (RFC 9101)', () => {
  it('logs in from a signed request object; its PKCE challenge and nonce are used', async () => {
    const { jwt, verifier } = await requestObject()
    const result = await completeLogin(authorizeUrl({ client_id: 'pkjwt', request: jwt }))
    expect(result.url.origin + result.url.pathname).toBe(REDIRECT)
    expect(result.params.get('state')).toBe('st-jar')
    const token = await exchange(result.params.get('code')!, verifier)
    expect(token.status).toBe(200)
    expect(claims(token.body.id_token)).toMatchObject({ aud: 'pkjwt', nonce: 'n-jar' })
  })

  it('ignores the parameters outside the object, except client_id (§6.3)', async () => {
    const { jwt, verifier } = await requestObject({ max_age: 600 })
    const outside = await pkce().challenge()
    const result = await completeLogin(
      authorizeUrl({
        client_id: 'pkjwt',
        request: jwt,
        response_type: 'code id_token token',
        redirect_uri: 'http://evil.example.test/cb',
        scope: 'openid api:write',
        state: 'outer-state',
        response_mode: 'fragment',
        code_challenge: outside,
        code_challenge_method: 'S256',
      }),
    )
    // The object's redirect_uri, response type, mode and state won.
    expect(result.url.origin + result.url.pathname).toBe(REDIRECT)
    expect(result.method).toBe('query')
    expect(result.params.get('state')).toBe('st-jar')
    expect(result.params.get('access_token')).toBeNull()
    // The code is bound to the object's PKCE challenge, and its scope to the object's.
    const token = await exchange(result.params.get('code')!, verifier)
    expect(token.status).toBe(200)
    expect(token.body.scope.split(' ').sort()).toEqual(['openid', 'profile'])
  })

  it('refuses a tampered signature', async () => {
    const { jwt } = await requestObject()
    const [h, p, s] = jwt.split('.') as [string, string, string]
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`
    expect(
      await shownError(authorizeUrl({ client_id: 'pkjwt', request: `${h}.${p}.${flipped}` })),
    ).toBe('invalid_request_object')
    // A payload changed after signing fails the same way.
    const other = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), state: 'x' }),
    ).toString('base64url')
    expect(
      await shownError(authorizeUrl({ client_id: 'pkjwt', request: `${h}.${other}.${s}` })),
    ).toBe('invalid_request_object')
  })

  it('refuses an object signed with a key the client did not register, or unsigned', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const { jwt } = await requestObject({}, { key: privateKey })
    expect(await shownError(authorizeUrl({ client_id: 'pkjwt', request: jwt }))).toBe(
      'invalid_request_object',
    )
    const { jwt: signed } = await requestObject()
    const [, payload] = signed.split('.')
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`
    expect(await shownError(authorizeUrl({ client_id: 'pkjwt', request: none }))).toBe(
      'invalid_request_object',
    )
  })

  it.each([
    ['wrong iss', { iss: 'web' }],
    ['wrong aud', { aud: 'https://other-issuer.example.test' }],
    ['missing aud', { aud: undefined }],
    ['expired', { exp: now() - 120, iat: now() - 180, nbf: now() - 180 }],
    ['missing exp', { exp: undefined }],
    ['not yet valid (nbf)', { nbf: now() + 600 }],
    ['iat in the future', { iat: now() + 600 }],
    ['too long a lifetime', { exp: now() + 7200 }],
    ['issued too long ago', { iat: now() - 7200 }],
    ['client_id unlike the outer one', { client_id: 'web', iss: 'pkjwt' }],
    ['no client_id', { client_id: undefined, iss: 'pkjwt' }],
    ['a nested request', { request: 'eyJhbGciOiJub25lIn0.e30.' }],
    ['a nested request_uri', { request_uri: 'urn:ietf:params:oauth:request_uri:abc' }],
  ])(
    'refuses an object with %s: invalid_request_object, shown, not redirected',
    async (_, claims) => {
      const { jwt } = await requestObject(claims)
      expect(await shownError(authorizeUrl({ client_id: 'pkjwt', request: jwt }))).toBe(
        'invalid_request_object',
      )
    },
  )

  it('refuses an object typed as something else (explicit typing, §10.8)', async () => {
    const { jwt } = await requestObject({}, { header: { typ: 'dpop+jwt' } })
    expect(await shownError(authorizeUrl({ client_id: 'pkjwt', request: jwt }))).toBe(
      'invalid_request_object',
    )
  })

  it('refuses a request whose outer client_id is missing or another client', async () => {
    const { jwt } = await requestObject()
    expect(await shownError(authorizeUrl({ request: jwt }))).toBe('invalid_request')
    expect(await shownError(authorizeUrl({ client_id: 'spa', request: jwt }))).toBe(
      'invalid_request_object',
    )
  })

  it('redirects the errors of a verified object to its redirect_uri', async () => {
    const { jwt } = await requestObject({ scope: 'openid api:write' })
    const res = await fetch(authorizeUrl({ client_id: 'pkjwt', request: jwt }), {
      redirect: 'manual',
    })
    expect(res.status).toBe(303)
    const location = new URL(res.headers.get('location')!)
    expect(location.origin + location.pathname).toBe(REDIRECT)
    expect(location.searchParams.get('error')).toBe('invalid_scope')
    expect(location.searchParams.get('state')).toBe('st-jar')
  })

  it('refuses request_uri by reference (only its own PAR URNs): request_uri_not_supported', async () => {
    expect(
      await shownError(
        authorizeUrl({ client_id: 'pkjwt', request_uri: 'https://client.example.test/req.jwt' }),
      ),
    ).toBe('request_uri_not_supported')
    const { jwt } = await requestObject()
    expect(
      await shownError(
        authorizeUrl({
          client_id: 'pkjwt',
          request: jwt,
          request_uri: 'urn:ietf:params:oauth:request_uri:abc',
        }),
      ),
    ).toBe('invalid_request')
  })
})

describe('request objects at /par (RFC 9126 §3)', () => {
  it('takes a pushed request object and authorizes with its request_uri', async () => {
    const { jwt, verifier } = await requestObject({ state: 'st-par-jar' })
    const pushed = await push({ client_id: 'pkjwt', request: jwt, state: 'outer' })
    expect(pushed.status).toBe(201)
    const result = await completeLogin(
      authorizeUrl({ client_id: 'pkjwt', request_uri: pushed.body.request_uri }),
    )
    expect(result.params.get('state')).toBe('st-par-jar')
    expect((await exchange(result.params.get('code')!, verifier)).status).toBe(200)
  })

  it('refuses a pushed object that is tampered, expired or of another client', async () => {
    const { jwt } = await requestObject()
    const bad = `${jwt.slice(0, -4)}AAAA`
    for (const request of [
      bad,
      (await requestObject({ exp: now() - 120, iat: now() - 180, nbf: now() - 180 })).jwt,
      // Signed by jar-only's key (the same demo key) for jar-only, pushed by pkjwt.
      (await requestObject({ client_id: 'jar-only' })).jwt,
      (await requestObject({ request: 'x' })).jwt,
    ]) {
      const res = await push({ request })
      expect(res.status).toBe(400)
      expect(res.body.error).toBe('invalid_request_object')
    }
  })
})

describe('replayed request objects (jti)', () => {
  /** Where /authorize sends a request it took: the login page (303), or an error shown (400). */
  async function authorize(jwt: string, issuer = server.issuer) {
    const res = await fetch(`${issuer}/authorize?client_id=pkjwt&request=${jwt}`, {
      redirect: 'manual',
    })
    const error = /data-openrp-error="([^"]*)"/.exec(await res.text())?.[1]
    return { status: res.status, error }
  }

  it('refuses a request object whose jti was already used at /authorize', async () => {
    const { jwt } = await requestObject()
    expect(await authorize(jwt)).toEqual({ status: 303, error: undefined })
    expect(await authorize(jwt)).toEqual({ status: 400, error: 'invalid_request_object' })
    // Another object of the same client with that jti is the same request object again.
    const jti = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).jti
    const other = await requestObject({ jti, state: 'another' })
    expect(await authorize(other.jwt)).toEqual({ status: 400, error: 'invalid_request_object' })
    // A jti is the client's own: another client may use the same value.
    const theirs = await requestObject({ jti, client_id: 'jar-only' })
    const res = await fetch(authorizeUrl({ client_id: 'jar-only', request: theirs.jwt }), {
      redirect: 'manual',
    })
    expect(res.status).toBe(303)
  })

  it('refuses a replay at /par, and across /par and /authorize', async () => {
    const { jwt } = await requestObject()
    expect((await push({ request: jwt })).status).toBe(201)
    const again = await push({ request: jwt })
    expect(again.status).toBe(400)
    expect(again.body.error).toBe('invalid_request_object')
    expect(await authorize(jwt)).toEqual({ status: 400, error: 'invalid_request_object' })

    const used = await requestObject()
    expect((await authorize(used.jwt)).status).toBe(303)
    const pushed = await push({ request: used.jwt })
    expect(pushed.status).toBe(400)
    expect(pushed.body.error).toBe('invalid_request_object')
  })

  it('remembers a jti as long as its object is accepted: up to exp and the clock tolerance', async () => {
    const clock = new ManualClock(Date.now())
    const clocked = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      clients: [pkjwt],
      clock,
    })
    try {
      const t = Math.floor(clock.now() / 1000)
      const { jwt } = await requestObject({ aud: clocked.issuer, iat: t, nbf: t, exp: t + 60 })
      expect((await authorize(jwt, clocked.issuer)).status).toBe(303)
      // 4 s past exp the object itself is still within the 5 s tolerance: only its jti refuses it.
      await clock.advance(64_000)
      const replay = await authorize(jwt, clocked.issuer)
      expect(replay).toEqual({ status: 400, error: 'invalid_request_object' })
      const fresh = await requestObject({ aud: clocked.issuer, iat: t, nbf: t, exp: t + 120 })
      expect((await authorize(fresh.jwt, clocked.issuer)).status).toBe(303)
    } finally {
      await clocked.close()
    }
  })

  it('forgets a jti once its object has expired (the memory holds live objects only)', async () => {
    const clock = new ManualClock(Date.now())
    const state = await createServerState({
      issuer: 'http://127.0.0.1:1',
      generateKeyPair: fixedKeyPairs(),
      clock,
    })
    const t = state.now()
    expect(takeRequestObjectJti(state, 'pkjwt', 'a', t + 60)).toBe(true)
    expect(takeRequestObjectJti(state, 'pkjwt', 'a', t + 60)).toBe(false)
    expect(takeRequestObjectJti(state, 'jar-only', 'a', t + 60)).toBe(true)
    expect(takeRequestObjectJti(state, 'pkjwt', 'b', t + 600)).toBe(true)
    await clock.advance(60_000)
    expect(takeRequestObjectJti(state, 'pkjwt', 'c', t + 600)).toBe(true)
    expect(state.requestObjectJtis.size).toBe(4)
    await clock.advance(1_000)
    expect(takeRequestObjectJti(state, 'pkjwt', 'd', t + 600)).toBe(true)
    expect([...state.requestObjectJtis.keys()]).toEqual(['pkjwt b', 'pkjwt c', 'pkjwt d'])
  })
})

describe('require_signed_request_object', () => {
  it('refuses a plain request of a client that must sign, at /authorize and /par', async () => {
    const p = pkce()
    const plain = {
      client_id: 'jar-only',
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid',
      state: 's',
      code_challenge: await p.challenge(),
      code_challenge_method: 'S256',
    }
    expect(await shownError(authorizeUrl(plain))).toBe('invalid_request')
    const pushed = await push(plain, 'jar-only')
    expect(pushed.status).toBe(400)
    expect(pushed.body.error).toBe('invalid_request')
  })

  it('takes the same client’s signed request object', async () => {
    const { jwt, verifier } = await requestObject({ client_id: 'jar-only' })
    const result = await completeLogin(authorizeUrl({ client_id: 'jar-only', request: jwt }))
    expect(result.params.get('state')).toBe('st-jar')
    expect((await exchange(result.params.get('code')!, verifier, 'jar-only')).status).toBe(200)
    const pushed = await push(
      { request: (await requestObject({ client_id: 'jar-only' })).jwt },
      'jar-only',
    )
    expect(pushed.status).toBe(201)
  })

  it('a client without a JWKS cannot send request objects', async () => {
    const { jwt } = await requestObject({
      client_id: 'spa',
      redirect_uri: 'http://127.0.0.1:4001/callback.html',
    })
    expect(await shownError(authorizeUrl({ client_id: 'spa', request: jwt }))).toBe(
      'invalid_request_object',
    )
  })
})

describe('discovery', () => {
  it('publishes request object support; require_signed_request_object only when configured', async () => {
    const meta: Json = await (
      await fetch(`${server.issuer}/.well-known/openid-configuration`)
    ).json()
    expect(meta.request_parameter_supported).toBe(true)
    expect(meta.request_object_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['ES256', 'RS256', 'PS256']),
    )
    expect(meta.request_object_signing_alg_values_supported).not.toContain('none')
    expect(meta.request_uri_parameter_supported).toBe(false)
    expect(meta).not.toHaveProperty('require_signed_request_object')

    const strict = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      clients: [pkjwt, spa],
      requireSignedRequestObject: true,
    })
    try {
      const strictMeta: Json = await (
        await fetch(`${strict.issuer}/.well-known/oauth-authorization-server`)
      ).json()
      expect(strictMeta.require_signed_request_object).toBe(true)
      // Every client must sign there, also one that did not register the flag.
      const p = pkce()
      const url = new URL(`${strict.issuer}/authorize`)
      for (const [k, v] of Object.entries({
        client_id: 'spa',
        response_type: 'code',
        redirect_uri: 'http://127.0.0.1:4001/callback.html',
        scope: 'openid',
        code_challenge: await p.challenge(),
        code_challenge_method: 'S256',
      }))
        url.searchParams.set(k, v)
      expect(await shownError(url)).toBe('invalid_request')
    } finally {
      await strict.close()
    }
  })
})
