import { importJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PRIVATE_KEY_JWK, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { basic, claims, tokenRequest } from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => server.close())

const cc = { grant_type: 'client_credentials' }

async function assertion(
  clientId: string,
  key: CryptoKey | Uint8Array,
  alg: string,
  overrides: Record<string, unknown> = {},
) {
  const exp = Math.floor(Date.now() / 1000) + 120
  return new SignJWT({ jti: crypto.randomUUID(), exp, ...overrides })
    .setProtectedHeader({ alg })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(server.issuer)
    .setIssuedAt()
    .sign(key)
}

describe('client authentication', () => {
  it('client_secret_basic: succeeds, and a wrong secret is invalid_client 401 with a Basic challenge', async () => {
    const ok = await tokenRequest(server.issuer, cc, { authorization: basic('m2m', 'm2m-secret') })
    expect(ok.status).toBe(200)
    expect(claims(ok.body.access_token).sub).toBe('m2m')
    const bad = await tokenRequest(server.issuer, cc, { authorization: basic('m2m', 'wrong') })
    expect(bad.status).toBe(401)
    expect(bad.body.error).toBe('invalid_client')
    expect(bad.headers.get('www-authenticate')).toMatch(/^Basic /)
  })

  it('refuses an unknown client and a method other than the registered one', async () => {
    const unknown = await tokenRequest(server.issuer, cc, { authorization: basic('ghost', 'x') })
    expect(unknown.body.error).toBe('invalid_client')
    const post = await tokenRequest(server.issuer, {
      ...cc,
      client_id: 'm2m',
      client_secret: 'm2m-secret',
    })
    expect(post.status).toBe(401)
    expect(post.body.error).toBe('invalid_client')
  })

  it('refuses two authentication methods at once', async () => {
    const res = await tokenRequest(
      server.issuer,
      { ...cc, client_id: 'm2m', client_secret: 'm2m-secret' },
      { authorization: basic('m2m', 'm2m-secret') },
    )
    expect(res.body.error).toBe('invalid_request')
  })

  it('client_secret_post', async () => {
    const ok = await tokenRequest(server.issuer, {
      ...cc,
      client_id: 'exchange',
      client_secret: 'exchange-secret',
    })
    expect(ok.status).toBe(200)
    const bad = await tokenRequest(server.issuer, {
      ...cc,
      client_id: 'exchange',
      client_secret: 'nope',
    })
    expect(bad.body.error).toBe('invalid_client')
  })

  it('client_secret_jwt, with jti replay refused', async () => {
    const key = new TextEncoder().encode('secret-jwt-secret-that-is-at-least-32-bytes-long')
    const jwt = await assertion('secret-jwt', key, 'HS256')
    const params = {
      ...cc,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
    }
    expect((await tokenRequest(server.issuer, params)).status).toBe(200)
    const replay = await tokenRequest(server.issuer, params)
    expect(replay.status).toBe(401)
    expect(replay.body.error).toBe('invalid_client')
    const wrongKey = await assertion(
      'secret-jwt',
      new TextEncoder().encode('x'.repeat(40)),
      'HS256',
    )
    expect(
      (await tokenRequest(server.issuer, { ...params, client_assertion: wrongKey })).body.error,
    ).toBe('invalid_client')
  })

  it('private_key_jwt with the demo key; expired, wrong audience and replay refused', async () => {
    const key = await importJWK(DEMO_PRIVATE_KEY_JWK, 'ES256')
    const send = (jwt: string) =>
      tokenRequest(server.issuer, {
        ...cc,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: jwt,
      })
    const jwt = await assertion('pkjwt', key as CryptoKey, 'ES256')
    const ok = await send(jwt)
    expect(ok.status).toBe(200)
    expect((await send(jwt)).body.error).toBe('invalid_client')
    const expired = await assertion('pkjwt', key as CryptoKey, 'ES256', {
      exp: Math.floor(Date.now() / 1000) - 120,
    })
    expect((await send(expired)).body.error).toBe('invalid_client')
    const wrongAud = await new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('pkjwt')
      .setSubject('pkjwt')
      .setAudience('https://elsewhere.example.test')
      .setExpirationTime('2m')
      .sign(key)
    expect((await send(wrongAud)).body.error).toBe('invalid_client')
  })

  it('refuses a non-form body and unsupported grants', async () => {
    const json = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('m2m', 'm2m-secret') },
      body: JSON.stringify(cc),
    })
    expect(json.status).toBe(400)
    expect((await json.json()).error).toBe('invalid_request')
    const unknown = await tokenRequest(
      server.issuer,
      { grant_type: 'urn:example:nope' },
      { authorization: basic('m2m', 'm2m-secret') },
    )
    expect(unknown.body.error).toBe('unsupported_grant_type')
    const notAllowed = await tokenRequest(
      server.issuer,
      { grant_type: 'password', username: 'alice', password: 'wonderland' },
      { authorization: basic('m2m', 'm2m-secret') },
    )
    expect(notAllowed.body.error).toBe('unauthorized_client')
  })
})

describe('client credentials', () => {
  const m2m = { authorization: basic('m2m', 'm2m-secret') }

  it('grants the requested scope and audience, RFC 9068 shaped', async () => {
    const res = await tokenRequest(
      server.issuer,
      { ...cc, scope: 'api:read', audience: 'https://api.example.test' },
      m2m,
    )
    expect(res.status).toBe(200)
    expect(res.body.scope).toBe('api:read')
    expect(res.body.refresh_token).toBeUndefined()
    const header = JSON.parse(
      atob(res.body.access_token.split('.')[0].replace(/-/g, '+').replace(/_/g, '/')),
    )
    expect(header.typ).toBe('at+jwt')
    const at = claims(res.body.access_token)
    expect(at).toMatchObject({ aud: 'https://api.example.test', client_id: 'm2m', sub: 'm2m' })
    expect(at.jti).toBeTypeOf('string')
    const resource = await tokenRequest(
      server.issuer,
      { ...cc, resource: 'https://downstream.example.test' },
      m2m,
    )
    expect(claims(resource.body.access_token).aud).toBe('https://downstream.example.test')
  })

  it('refuses audiences and scopes the client may not have', async () => {
    const aud = await tokenRequest(
      server.issuer,
      { ...cc, audience: 'https://evil.example.test' },
      m2m,
    )
    expect(aud.body.error).toBe('invalid_target')
    const scope = await tokenRequest(server.issuer, { ...cc, scope: 'openid' }, m2m)
    expect(scope.body.error).toBe('invalid_scope')
  })

  it('is refused to public clients', async () => {
    const client = {
      client_id: 'public-cc',
      token_endpoint_auth_method: 'none' as const,
      grant_types: ['client_credentials'],
      scope: 'api:read',
    }
    const s = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      clients: [client],
    })
    try {
      const res = await tokenRequest(s.issuer, { ...cc, client_id: 'public-cc' })
      expect(res.body.error).toBe('unauthorized_client')
    } finally {
      await s.close()
    }
  })
})

it('answers invalid_client (not a crash) for malformed Basic credentials', async () => {
  for (const authorization of ['Basic !!!', `Basic ${btoa('m2m:%zz')}`, `Basic ${btoa('%zz:x')}`]) {
    const res = await tokenRequest(
      server.issuer,
      { grant_type: 'client_credentials' },
      { authorization },
    )
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
  }
})
