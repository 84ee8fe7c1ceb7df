/**
 * Dynamic client registration (RFC 7591) and client management (RFC 7592) over HTTP: metadata
 * validation, issued credentials, registered clients in every flow, the management rules.
 */
import { request } from 'node:https'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  completeLogin,
  createSelfSignedCertificate,
  issueCertificate,
  type ReferenceServer,
  type SelfSignedCertificate,
  startReferenceServer,
} from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { authorizeUrl, basic, claims, type Json, tokenRequest } from './helpers.ts'

/** The CA trusted for tls_client_auth (RFC 8705 §2.1). */
const testCa = createSelfSignedCertificate({ commonName: 'registration test CA' })

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    mtlsCa: testCa.cert,
  })
})
afterAll(() => server.close())

const json = { 'content-type': 'application/json' }
const REDIRECT = 'https://app.example.test/callback'

async function register(
  metadata: Json,
  headers: Record<string, string> = {},
  issuer = server.issuer,
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${issuer}/register`, {
    method: 'POST',
    headers: { ...json, ...headers },
    body: JSON.stringify(metadata),
  })
  return { status: res.status, body: await res.json(), headers: res.headers }
}

async function manage(
  registered: Json,
  method: 'GET' | 'PUT' | 'DELETE',
  body?: Json,
  token = registered.registration_access_token as string,
) {
  const res = await fetch(registered.registration_client_uri, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body && json) },
    ...(body && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers }
}

const codeClient = (extra: Json = {}) => ({
  redirect_uris: [REDIRECT],
  token_endpoint_auth_method: 'none',
  ...extra,
})

describe('POST /register', () => {
  it('is published in discovery', async () => {
    const meta: Json = await (
      await fetch(`${server.issuer}/.well-known/openid-configuration`)
    ).json()
    expect(meta.registration_endpoint).toBe(`${server.issuer}/register`)
  })

  it('registers with the RFC 7591 defaults and answers 201, no-store', async () => {
    const { status, body, headers } = await register({ redirect_uris: [REDIRECT] })
    expect(status).toBe(201)
    expect(headers.get('cache-control')).toBe('no-store')
    expect(body).toMatchObject({
      client_id: expect.any(String),
      client_secret: expect.any(String),
      client_secret_expires_at: 0,
      client_id_issued_at: expect.any(Number),
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      application_type: 'web',
      redirect_uris: [REDIRECT],
      registration_access_token: expect.any(String),
      registration_client_uri: `${server.issuer}/register/${body.client_id}`,
    })
  })

  it('issues no secret for none and private_key_jwt, one for each secret method', async () => {
    for (const method of ['none', 'private_key_jwt']) {
      const { status, body } = await register(
        codeClient({
          token_endpoint_auth_method: method,
          jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }] },
        }),
      )
      expect(status).toBe(201)
      expect(body.client_secret).toBeUndefined()
      expect(body.client_secret_expires_at).toBeUndefined()
    }
    for (const method of ['client_secret_basic', 'client_secret_post', 'client_secret_jwt']) {
      const { body } = await register(codeClient({ token_endpoint_auth_method: method }))
      expect(body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    }
  })

  it.each([
    ['a fragment', { redirect_uris: [`${REDIRECT}#x`] }],
    ['http off loopback', { redirect_uris: ['http://app.example.test/cb'] }],
    ['a relative URI', { redirect_uris: ['/callback'] }],
    ['a custom scheme for a web client', { redirect_uris: ['com.example.app:/cb'] }],
    [
      'a custom scheme without a period for a native client',
      { application_type: 'native', redirect_uris: ['myapp:/cb'] },
    ],
    ['no redirect URI for a code client', { redirect_uris: [] }],
    [
      'no redirect URI for an implicit client',
      { redirect_uris: undefined, grant_types: ['implicit'], response_types: ['id_token'] },
    ],
  ])('refuses %s with invalid_redirect_uri', async (_what, change) => {
    const { status, body } = await register(codeClient(change))
    expect(status).toBe(400)
    expect(body.error).toBe('invalid_redirect_uri')
  })

  it('accepts loopback http, and private-use schemes for native clients', async () => {
    for (const metadata of [
      codeClient({ redirect_uris: ['http://127.0.0.1:4001/cb', 'http://localhost/cb'] }),
      codeClient({
        application_type: 'native',
        redirect_uris: ['com.example.app:/oauth2redirect'],
      }),
      codeClient({ application_type: 'native', redirect_uris: ['http://[::1]/cb'] }),
    ]) {
      const { status, body } = await register(metadata)
      expect(status, JSON.stringify(body)).toBe(201)
    }
  })

  it.each([
    ['an unknown token_endpoint_auth_method', { token_endpoint_auth_method: 'tls_magic' }],
    [
      'response_types code without authorization_code',
      { grant_types: ['refresh_token'], response_types: ['code'] },
    ],
    [
      'authorization_code without a code response type',
      { grant_types: ['authorization_code', 'client_credentials'], response_types: [] },
    ],
    [
      'implicit response types without the implicit grant',
      { grant_types: ['authorization_code'], response_types: ['code id_token'] },
    ],
    ['an unknown grant type', { grant_types: ['urn:example:unknown'], response_types: [] }],
    ['an unknown response type', { response_types: ['code magic'] }],
    ['jwks and jwks_uri together', { jwks: { keys: [] }, jwks_uri: 'https://app.example.test/j' }],
    ['private_key_jwt without jwks', { token_endpoint_auth_method: 'private_key_jwt' }],
    [
      'a private key in jwks',
      { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'A', y: 'A', d: 'A' }] } },
    ],
    ['an unknown scope', { scope: 'openid admin:everything' }],
    ['an unknown application_type', { application_type: 'desktop' }],
    ['an unsupported id_token alg', { id_token_signed_response_alg: 'none' }],
    ['a non-string client_name', { client_name: 42 }],
  ])('refuses %s with invalid_client_metadata', async (_what, change) => {
    const { status, body } = await register(codeClient(change))
    expect(status).toBe(400)
    expect(body.error).toBe('invalid_client_metadata')
  })

  it('names the conflict when both jwks and jwks_uri are given', async () => {
    const { body } = await register(
      codeClient({ jwks: { keys: [] }, jwks_uri: 'https://app.example.test/jwks' }),
    )
    expect(body).toMatchObject({
      error: 'invalid_client_metadata',
      error_description: expect.stringContaining('jwks and jwks_uri'),
    })
  })

  it('refuses a body that is not a JSON object', async () => {
    for (const body of ['[]', '"x"', '{not json']) {
      const res = await fetch(`${server.issuer}/register`, { method: 'POST', headers: json, body })
      expect(res.status).toBe(400)
      expect((await res.json()).error).toBe('invalid_client_metadata')
    }
    const form = await fetch(`${server.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'client_name=x',
    })
    expect((await form.json()).error).toBe('invalid_request')
  })

  it('logs the registration without secrets', async () => {
    server.control.clearRequests()
    const { body } = await register(codeClient())
    const [record] = server.control.requests({ endpoint: 'registration' })
    expect(record).toMatchObject({ method: 'POST', status: 201, clientId: body.client_id })
    expect(JSON.stringify(record)).not.toContain(body.registration_access_token)
  })
})

describe('registered clients in the flows', () => {
  it('a confidential code client logs in and authenticates with its issued secret', async () => {
    const { body: client } = await register({
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid offline_access',
    })
    const { url, verifier } = await authorizeUrl(server.issuer, {
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      scope: 'openid offline_access',
    })
    const { params } = await completeLogin(url)
    const tokens = await tokenRequest(
      server.issuer,
      {
        grant_type: 'authorization_code',
        code: params.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      },
      { authorization: basic(client.client_id, client.client_secret) },
    )
    expect(tokens.status).toBe(200)
    expect(tokens.body.refresh_token).toEqual(expect.any(String))
  })

  it('a device client gets a device code', async () => {
    const { body: client } = await register({
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
    })
    const res = await fetch(`${server.issuer}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.client_id, scope: 'openid' }),
    })
    expect(res.status).toBe(200)
    expect((await res.json()).user_code).toEqual(expect.any(String))
  })
})

describe('RFC 7592 /register/<client_id>', () => {
  it('reads, updates and deletes with the registration access token', async () => {
    const { body: registered } = await register({
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      scope: 'api:read',
      client_uri: 'https://app.example.test',
      contacts: ['ops@example.test'],
    })
    const read = await manage(registered, 'GET')
    expect(read.status).toBe(200)
    expect(read.headers.get('cache-control')).toBe('no-store')
    expect(read.body).toEqual(registered)

    const { registration_access_token, registration_client_uri, ...rest } = registered
    const { client_secret_expires_at, client_id_issued_at, ...metadata } = rest
    const updated = await manage(registered, 'PUT', {
      ...metadata,
      token_endpoint_auth_method: 'client_secret_basic',
      contacts: undefined,
    })
    expect(updated.status).toBe(200)
    // Omitted members are dropped; the secret is kept while the method needs one.
    expect(updated.body.contacts).toBeUndefined()
    expect(updated.body.client_uri).toBe('https://app.example.test')
    expect(updated.body.client_secret).toBe(registered.client_secret)
    expect(updated.body.token_endpoint_auth_method).toBe('client_secret_basic')
    const cc = await tokenRequest(
      server.issuer,
      { grant_type: 'client_credentials' },
      { authorization: basic(registered.client_id, registered.client_secret) },
    )
    expect(cc.status).toBe(200)
    const api = () =>
      fetch(`${server.issuer}/api/data`, {
        headers: { authorization: `Bearer ${cc.body.access_token}` },
      })
    expect((await api()).status).toBe(200)

    const deleted = await manage(registered, 'DELETE')
    expect(deleted.status).toBe(204)
    const after = await tokenRequest(
      server.issuer,
      { grant_type: 'client_credentials' },
      { authorization: basic(registered.client_id, registered.client_secret) },
    )
    expect(after.status).toBe(401)
    expect(after.body.error).toBe('invalid_client')
    // Its tokens ended with it (only the client itself, now gone, could introspect them).
    expect((await api()).status).toBe(401)
    expect((await manage(registered, 'GET')).status).toBe(401)
  })

  it('answers 401 with a Bearer challenge for a wrong, missing or other client token', async () => {
    const { body: a } = await register(codeClient())
    const { body: b } = await register(codeClient())
    const wrong = await manage(a, 'GET', undefined, 'wrong-token')
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
    const other = await manage(a, 'GET', undefined, b.registration_access_token)
    expect(other.status).toBe(401)
    const missing = await fetch(a.registration_client_uri)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="openrp"')
    // Configured clients have no registration access token.
    const spa = await fetch(`${server.issuer}/register/spa`, {
      headers: { authorization: `Bearer ${a.registration_access_token}` },
    })
    expect(spa.status).toBe(401)
  })

  it('refuses updates that break the RFC 7592 §2.2 rules', async () => {
    const { body: registered } = await register(
      codeClient({ token_endpoint_auth_method: 'client_secret_basic' }),
    )
    const base = { client_id: registered.client_id, redirect_uris: [REDIRECT] }
    for (const body of [
      { redirect_uris: [REDIRECT] },
      { ...base, client_id: 'someone-else' },
      { ...base, registration_access_token: 'mine' },
      { ...base, client_id_issued_at: 1 },
      { ...base, client_secret: 'chosen-by-me' },
    ]) {
      const res = await manage(registered, 'PUT', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.error).toBe('invalid_request')
    }
    const bad = await manage(registered, 'PUT', { ...base, redirect_uris: ['http://x.test/cb'] })
    expect(bad.body.error).toBe('invalid_redirect_uri')
    expect((await manage(registered, 'GET')).body.redirect_uris).toEqual([REDIRECT])
  })

  it('issues a secret when an update moves to a secret method, and drops it for none', async () => {
    const { body: registered } = await register(codeClient())
    expect(registered.client_secret).toBeUndefined()
    const base = { client_id: registered.client_id, redirect_uris: [REDIRECT] }
    const toSecret = await manage(registered, 'PUT', {
      ...base,
      token_endpoint_auth_method: 'client_secret_post',
    })
    expect(toSecret.body.client_secret).toEqual(expect.any(String))
    expect(toSecret.body.client_secret_expires_at).toBe(0)
    const toNone = await manage(registered, 'PUT', { ...base, token_endpoint_auth_method: 'none' })
    expect(toNone.body.client_secret).toBeUndefined()
  })
})

describe('registration options', () => {
  it('registration: false leaves discovery and the routes without registration', async () => {
    const closed = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      registration: false,
    })
    try {
      const meta: Json = await (
        await fetch(`${closed.issuer}/.well-known/openid-configuration`)
      ).json()
      expect(meta.registration_endpoint).toBeUndefined()
      const res = await fetch(`${closed.issuer}/register`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(codeClient()),
      })
      expect(res.status).toBe(404)
    } finally {
      await closed.close()
    }
  })

  it('initialAccessToken: the Bearer token is required at POST /register', async () => {
    const guarded = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      registration: { initialAccessToken: 'let-me-in' },
    })
    try {
      const missing = await register(codeClient(), {}, guarded.issuer)
      expect(missing.status).toBe(401)
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="openrp"')
      expect(missing.body.error).toBe('invalid_token')
      const wrong = await register(codeClient(), { authorization: 'Bearer nope' }, guarded.issuer)
      expect(wrong.status).toBe(401)
      expect(wrong.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
      const ok = await register(codeClient(), { authorization: 'Bearer let-me-in' }, guarded.issuer)
      expect(ok.status).toBe(201)
      // RFC 7592 calls use the registration access token, not the initial one.
      expect((await manage(ok.body, 'GET')).status).toBe(200)
      expect((await manage(ok.body, 'GET', undefined, 'let-me-in')).status).toBe(401)
    } finally {
      await guarded.close()
    }
  })

  it('the registrationResponse fault drops or sets members of the answer', async () => {
    server.control.setFaults({
      registrationResponse: { omit: ['client_id'], set: { client_secret: 7 }, times: 1 },
    })
    const spoiled = await register(codeClient())
    expect(spoiled.status).toBe(201)
    expect(spoiled.body.client_id).toBeUndefined()
    expect(spoiled.body.client_secret).toBe(7)
    const next = await register(codeClient())
    expect(next.body.client_id).toEqual(expect.any(String))
  })
})

describe('an independent client library (openid-client)', () => {
  it('registers through discovery and logs in with the registered client', async () => {
    const redirect = 'http://127.0.0.1:4001/oidc-client/callback'
    const config = await oidc.dynamicClientRegistration(
      new URL(server.issuer),
      { redirect_uris: [redirect], token_endpoint_auth_method: 'client_secret_post' },
      undefined,
      { execute: [oidc.allowInsecureRequests] },
    )
    const metadata = config.clientMetadata()
    expect(metadata.client_secret).toEqual(expect.any(String))
    const verifier = oidc.randomPKCECodeVerifier()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirect,
      scope: 'openid profile',
      state: 'st-1',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })
    const { url: callback } = await completeLogin(url)
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: 'st-1',
    })
    expect(tokens.claims()?.aud).toBe(metadata.client_id)
  })
})

describe('mutual-TLS clients (RFC 8705)', () => {
  /** A client-credentials request to the mutual-TLS listener with `cert` as client certificate. */
  function mtlsToken(clientId: string, cert: SelfSignedCertificate): Promise<Json> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId })
    return new Promise((resolve, reject) => {
      const req = request(
        `${server.mtlsUrl}/token`,
        {
          method: 'POST',
          ca: server.mtlsCertificate,
          cert: cert.cert,
          key: cert.key,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          agent: false,
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk) => {
            text += chunk
          })
          res.on('end', () => resolve({ status: res.statusCode, ...JSON.parse(text) }))
        },
      )
      req.on('error', reject)
      req.end(body.toString())
    })
  }

  it.each([
    ['tls_client_auth without a subject value', { token_endpoint_auth_method: 'tls_client_auth' }],
    [
      'tls_client_auth with two subject values',
      {
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: 'CN=a',
        tls_client_auth_san_dns: 'a.example.test',
      },
    ],
    [
      'self_signed_tls_client_auth without jwks',
      { token_endpoint_auth_method: 'self_signed_tls_client_auth' },
    ],
  ])('refuses %s with invalid_client_metadata', async (_what, change) => {
    const { status, body } = await register({ grant_types: ['client_credentials'], ...change })
    expect(status).toBe(400)
    expect(body.error).toBe('invalid_client_metadata')
  })

  it('a registered tls_client_auth client gets certificate-bound tokens with its certificate', async () => {
    const cert = issueCertificate(testCa, { commonName: 'registered-daemon' })
    const other = issueCertificate(testCa, { commonName: 'someone-else' })
    const { status, body: client } = await register({
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=registered-daemon',
      tls_client_certificate_bound_access_tokens: true,
      grant_types: ['client_credentials'],
      scope: 'api:read',
    })
    expect(status).toBe(201)
    expect(client.client_secret).toBeUndefined()
    expect(client).toMatchObject({
      tls_client_auth_subject_dn: 'CN=registered-daemon',
      tls_client_certificate_bound_access_tokens: true,
    })
    const tokens = await mtlsToken(client.client_id, cert)
    expect(tokens.status).toBe(200)
    expect(claims(tokens.access_token).cnf).toEqual({ 'x5t#S256': cert.thumbprint })
    const refused = await mtlsToken(client.client_id, other)
    expect(refused).toMatchObject({ status: 401, error: 'invalid_client' })
  })
})
