/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592) against the reference
 * server over HTTP: registered clients log in and get tokens, management calls change and end
 * them, and every refusal is a typed error without secrets in its messages.
 */
import {
  CompleteLoginError,
  completeLogin,
  DEMO_ASSERTION_ISSUER,
  DEMO_PRIVATE_KEY_JWK,
  DEMO_SPA_ORIGIN,
  startReferenceServer,
} from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { importJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Client,
  type ClientMetadata,
  deleteClientRegistration,
  discover,
  discoverMetadata,
  HttpError,
  OAuthError,
  OpenRpError,
  readClientRegistration,
  registerClient,
  TokenSet,
  toClientOptions,
  updateClientRegistration,
} from '../src/index.ts'
import { bundleForBrowser } from './helpers/bundle.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const REDIRECT = `${DEMO_SPA_ORIGIN}/registered/callback`
const PUBLIC_APP: ClientMetadata = {
  client_name: 'Registered SPA',
  redirect_uris: [REDIRECT],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: 'openid profile offline_access',
}
const DAEMON: ClientMetadata = {
  client_name: 'Registered daemon',
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['client_credentials'],
  scope: 'api:read',
}

/** The error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  )
}

/** Every message and cause in an error chain, as text. */
function chainText(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(current instanceof Error ? `${current.message}\n${String(current)}` : '')
    parts.push(JSON.stringify(current, (_k, v) => (v instanceof Response ? '[response]' : v)))
    current = (current as { cause?: unknown }).cause
  }
  return parts.join('\n')
}

describe('registerClient', () => {
  it('registers a public client that logs in with code + PKCE', async () => {
    const registered = await registerClient(h.server.issuer, PUBLIC_APP)
    expect(registered.client_id).toEqual(expect.any(String))
    expect(registered.client_secret).toBeUndefined()
    expect(registered.client_id_issued_at).toEqual(expect.any(Number))
    expect(registered.registration_access_token).toEqual(expect.any(String))
    expect(registered.registration_client_uri).toBe(
      `${h.server.issuer}/register/${registered.client_id}`,
    )
    expect(registered).toMatchObject({
      client_name: 'Registered SPA',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      response_types: ['code'],
    })
    expect(toClientOptions(registered)).toEqual({
      clientId: registered.client_id,
      clientAuth: 'none',
      redirectUri: REDIRECT,
    })

    const client = await discover(h.server.issuer, {
      ...toClientOptions(registered),
      scope: 'openid profile offline_access',
    })
    // offline_access needs prompt=consent (OpenID Connect Core §11).
    const { url, transaction } = await client.createAuthorizationRequest({ prompt: 'consent' })
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    const { params } = await completeLogin(url)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens).toBeInstanceOf(TokenSet)
    expect(tokens.claims()?.aud).toBe(registered.client_id)
    expect(tokens.refreshToken).toEqual(expect.any(String))
  })

  it('issues a secret to a confidential client, which then gets client-credentials tokens', async () => {
    const metadata = await discoverMetadata(h.server.issuer)
    const registered = await registerClient(metadata, DAEMON)
    expect(registered.client_secret).toEqual(expect.any(String))
    expect(registered.client_secret_expires_at).toBe(0)
    expect(registered.response_types).toEqual([])
    const client = new Client(metadata, toClientOptions(registered))
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    expect(tokens.accessToken).toEqual(expect.any(String))
    expect(tokens.scope).toBe('api:read')

    const wrong = new Client(metadata, { ...toClientOptions(registered), clientSecret: 'nope' })
    expect(await failure(wrong.clientCredentials())).toMatchObject({
      code: 'OAUTH_ERROR',
      error: 'invalid_client',
    })
  })

  it('registers a private_key_jwt client with its jwks: no secret, and the key authenticates it', async () => {
    const { d: _d, ...publicJwk } = DEMO_PRIVATE_KEY_JWK
    const registered = await registerClient(h.server.issuer, {
      ...DAEMON,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [publicJwk] },
    })
    expect(registered.client_secret).toBeUndefined()
    const client = await discover(h.server.issuer, {
      ...toClientOptions(registered),
      privateKey: DEMO_PRIVATE_KEY_JWK,
    })
    expect((await client.clientCredentials()).accessToken).toEqual(expect.any(String))
  })

  it('says UNSUPPORTED when the provider has no registration_endpoint, and sends nothing', async () => {
    const closed = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      registration: false,
    })
    try {
      const metadata = await discoverMetadata(closed.issuer)
      expect(metadata.registration_endpoint).toBeUndefined()
      const error = await failure(registerClient(closed.issuer, PUBLIC_APP))
      expect(error).toBeInstanceOf(OpenRpError)
      expect(error).toMatchObject({ code: 'UNSUPPORTED' })
      expect(closed.control.requests({ endpoint: 'registration' })).toEqual([])
      // The route does not exist either.
      expect((await fetch(`${closed.issuer}/register`, { method: 'POST' })).status).toBe(404)
    } finally {
      await closed.close()
    }
  })

  it.each([
    [
      'a redirect URI with a fragment',
      { redirect_uris: [`${REDIRECT}#frag`] },
      'invalid_redirect_uri',
    ],
    [
      'an http redirect URI off loopback',
      { redirect_uris: ['http://app.example.com/cb'] },
      'invalid_redirect_uri',
    ],
    ['a code client without redirect URIs', { redirect_uris: undefined }, 'invalid_redirect_uri'],
    [
      'an unknown token_endpoint_auth_method',
      { token_endpoint_auth_method: 'magic' },
      'invalid_client_metadata',
    ],
    [
      'response_types code without the authorization_code grant',
      { grant_types: ['refresh_token'] },
      'invalid_client_metadata',
    ],
    [
      'both jwks and jwks_uri',
      { jwks: { keys: [] }, jwks_uri: 'https://app.example.com/jwks' },
      'invalid_client_metadata',
    ],
    [
      'a software statement that is not a JWT',
      { software_statement: 'nope' },
      'invalid_software_statement',
    ],
  ] as Array<[string, ClientMetadata, string]>)(
    'refuses %s with %s',
    async (_what, change, error) => {
      const metadata: ClientMetadata = { ...PUBLIC_APP, ...change }
      for (const [name, value] of Object.entries(change))
        if (value === undefined) delete metadata[name]
      const refused = await failure(registerClient(h.server.issuer, metadata))
      expect(refused).toBeInstanceOf(OAuthError)
      expect(refused).toMatchObject({ code: 'OAUTH_ERROR', error, status: 400 })
    },
  )

  it('checks software statements: one from an unknown publisher is unapproved_software_statement, a trusted one counts', async () => {
    const key = await importJWK(DEMO_PRIVATE_KEY_JWK, 'ES256')
    const sign = (iss: string, claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: DEMO_PRIVATE_KEY_JWK.kid })
        .setIssuer(iss)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key)
    const unknown = await failure(
      registerClient(h.server.issuer, {
        ...PUBLIC_APP,
        software_statement: await sign('https://unknown.example.test', {}),
      }),
    )
    expect(unknown).toMatchObject({ error: 'unapproved_software_statement', status: 400 })

    // The statement's claims win over the plain members (RFC 7591 §3.1.1).
    const registered = await registerClient(h.server.issuer, {
      ...PUBLIC_APP,
      client_name: 'unvouched name',
      software_statement: await sign(DEMO_ASSERTION_ISSUER, {
        software_id: 'app-4711',
        client_name: 'Vouched App',
      }),
    })
    expect(registered).toMatchObject({ client_name: 'Vouched App', software_id: 'app-4711' })
  })

  it('refuses a registration answer without client_id with INVALID_RESPONSE, and keeps the secret out of the error', async () => {
    h.server.control.setFaults({ registrationResponse: { omit: ['client_id'], times: 1 } })
    const error = await failure(registerClient(h.server.issuer, DAEMON))
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE' })
    const body = ((error as Error).cause as { cause?: { body?: Record<string, unknown> } }).cause
      ?.body
    expect(body?.client_secret).toBe('[redacted]')
    expect(body?.registration_access_token).toBe('[redacted]')
    expect(body?.client_name).toBe('Registered daemon')
    // The server did register the client: its real secret must appear nowhere in the error.
    const registered = h.server.control.requests({ endpoint: 'registration' })
    expect(registered.at(-1)?.status).toBe(201)
    expect(chainText(error)).not.toMatch(/"client_secret":"(?!\[redacted\])/)
  })

  it('refuses an answer that is not JSON with INVALID_RESPONSE', async () => {
    h.server.control.setFaults({
      http: { registration: { status: 201, body: 'malformed_json', times: 1 } },
    })
    expect(await failure(registerClient(h.server.issuer, DAEMON))).toMatchObject({
      code: 'INVALID_RESPONSE',
    })
  })

  it('does not retry a registration that failed with 503 (a retry could register twice)', async () => {
    h.server.control.setFaults({ http: { registration: { status: 503, times: 1 } } })
    const error = await failure(registerClient(h.server.issuer, DAEMON))
    expect(error).toMatchObject({ error: 'temporarily_unavailable', status: 503 })
    expect(h.server.control.requests({ endpoint: 'registration' })).toHaveLength(1)
  })
})

describe('registration with an initial access token', () => {
  const IAT = 'initial-access-token-0123456789'
  let server: Awaited<ReturnType<typeof startReferenceServer>>
  beforeAll(async () => {
    server = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      registration: { initialAccessToken: IAT },
    })
  })
  afterAll(() => server.close())

  it('registers with the right token', async () => {
    const registered = await registerClient(server.issuer, DAEMON, { initialAccessToken: IAT })
    expect(registered.client_secret).toEqual(expect.any(String))
  })

  it('refuses a missing or wrong token with invalid_token (401), and keeps the token out of messages', async () => {
    const missing = await failure(registerClient(server.issuer, DAEMON))
    expect(missing).toBeInstanceOf(OAuthError)
    expect(missing).toMatchObject({ error: 'invalid_token', status: 401 })
    const wrongToken = 'wrong-initial-token-987654'
    const wrong = await failure(
      registerClient(server.issuer, DAEMON, { initialAccessToken: wrongToken }),
    )
    expect(wrong).toMatchObject({ error: 'invalid_token', status: 401 })
    expect(chainText(wrong)).not.toContain(wrongToken)
  })
})

describe('RFC 7592 client management', () => {
  it('reads the registration as the provider holds it', async () => {
    const registered = await registerClient(h.server.issuer, DAEMON)
    const read = await readClientRegistration(registered)
    expect(read).toMatchObject({
      client_id: registered.client_id,
      client_secret: registered.client_secret,
      client_name: 'Registered daemon',
      grant_types: ['client_credentials'],
      registration_access_token: registered.registration_access_token,
      registration_client_uri: registered.registration_client_uri,
    })
  })

  it('updates redirect_uris: the old one is then refused at /authorize, the new one works', async () => {
    const registered = await registerClient(h.server.issuer, PUBLIC_APP)
    const newRedirect = `${DEMO_SPA_ORIGIN}/registered/new-callback`
    const updated = await updateClientRegistration(registered, {
      ...registered,
      redirect_uris: [newRedirect],
    })
    expect(updated.redirect_uris).toEqual([newRedirect])
    expect(updated.client_id).toBe(registered.client_id)
    expect(updated.registration_access_token).toBe(registered.registration_access_token)
    expect((await readClientRegistration(updated)).redirect_uris).toEqual([newRedirect])

    const old = await discover(h.server.issuer, toClientOptions(registered))
    const { url } = await old.createAuthorizationRequest()
    const refused = await failure(completeLogin(url))
    expect(refused).toBeInstanceOf(CompleteLoginError)
    expect(refused).toMatchObject({ code: 'invalid_request' })

    const current = await discover(h.server.issuer, toClientOptions(updated))
    const request = await current.createAuthorizationRequest()
    const { params } = await completeLogin(request.url)
    const tokens = await current.handleAuthorizationResponse(params, request.transaction)
    expect(tokens.claims()?.aud).toBe(registered.client_id)
  })

  it('refuses an update with invalid metadata (the registration stays as it was)', async () => {
    const registered = await registerClient(h.server.issuer, PUBLIC_APP)
    const error = await failure(
      updateClientRegistration(registered, {
        ...registered,
        redirect_uris: ['http://evil.example.com/cb'],
      }),
    )
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', error: 'invalid_redirect_uri', status: 400 })
    expect((await readClientRegistration(registered)).redirect_uris).toEqual([REDIRECT])
  })

  it('deletes the client: its token requests get invalid_client, reading gets 401', async () => {
    const metadata = await discoverMetadata(h.server.issuer)
    const registered = await registerClient(metadata, DAEMON)
    const client = new Client(metadata, toClientOptions(registered))
    const before = await client.clientCredentials()
    await deleteClientRegistration(registered)

    expect(await failure(client.clientCredentials())).toMatchObject({
      error: 'invalid_client',
      status: 401,
    })
    const read = await failure(readClientRegistration(registered))
    expect(read).toBeInstanceOf(OAuthError)
    expect(read).toMatchObject({ error: 'invalid_token', status: 401 })
    // The token issued before the deletion is no longer active.
    const me = await fetch(`${h.server.issuer}/api/data`, {
      headers: { authorization: `Bearer ${before.accessToken}` },
    })
    expect(me.status).toBe(401)
    // A second delete finds nothing to delete.
    expect(await failure(deleteClientRegistration(registered))).toMatchObject({ status: 401 })
  })

  it('refuses a wrong registration access token with 401 (and keeps it out of messages)', async () => {
    const registered = await registerClient(h.server.issuer, DAEMON)
    const token = 'not-the-registration-token-42'
    const handle = { ...registered, registration_access_token: token }
    for (const call of [
      () => readClientRegistration(handle),
      () => updateClientRegistration(handle, { ...registered, client_name: 'changed' }),
      () => deleteClientRegistration(handle),
    ]) {
      const error = await failure(call())
      expect(error).toBeInstanceOf(OAuthError)
      expect(error).toMatchObject({ code: 'OAUTH_ERROR', error: 'invalid_token', status: 401 })
      expect(chainText(error)).not.toContain(token)
    }
    // Nothing changed, nothing was deleted.
    expect((await readClientRegistration(registered)).client_name).toBe('Registered daemon')
  })

  it('refuses a read answer without client_id with INVALID_RESPONSE, secrets redacted', async () => {
    const registered = await registerClient(h.server.issuer, DAEMON)
    h.server.control.setFaults({ registrationResponse: { omit: ['client_id'], times: 1 } })
    const error = await failure(readClientRegistration(registered))
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE' })
    expect(chainText(error)).not.toContain(registered.client_secret!)
    expect(chainText(error)).not.toContain(registered.registration_access_token!)
  })

  it('retries a read on 503 and reports an unexpected status as HTTP_ERROR', async () => {
    const registered = await registerClient(h.server.issuer, DAEMON)
    h.server.control.clearRequests()
    h.server.control.setFaults({ http: { registration: { status: 503, times: 1 } } })
    expect((await readClientRegistration(registered)).client_id).toBe(registered.client_id)
    expect(h.server.control.requests({ endpoint: 'registration' })).toHaveLength(2)

    h.server.control.setFaults({ http: { registration: { status: 302, body: 'empty', times: 1 } } })
    const error = await failure(readClientRegistration(registered, { retry: { maxRetries: 0 } }))
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ code: 'HTTP_ERROR', status: 302 })
  })

  it('refuses bad arguments with INVALID_ARGUMENT before sending anything', async () => {
    const registered = await registerClient(h.server.issuer, DAEMON)
    h.server.control.clearRequests()
    const { registration_access_token: _t, ...noToken } = registered
    expect(await failure(readClientRegistration(noToken))).toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    expect(
      await failure(
        readClientRegistration({ ...registered, registration_client_uri: 'not a url' }),
      ),
    ).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(h.server.control.requests({ endpoint: 'registration' })).toEqual([])
  })
})

describe('bundles', () => {
  it('an SPA bundle that does not import registration carries none of it', async () => {
    const spa = `export { createClientCore, createAuthorizationRequest, handleAuthorizationResponse, refresh } from './src/index.ts'`
    const withRegistration = `export { registerClient, deleteClientRegistration } from './src/index.ts'`
    const markers = ['registration_client_uri', 'Dynamic Client Registration Endpoint']
    const present = await bundleForBrowser(withRegistration)
    for (const marker of markers) expect(present, marker).toContain(marker)
    const absent = await bundleForBrowser(spa)
    for (const marker of markers) expect(absent, marker).not.toContain(marker)
  })
})
