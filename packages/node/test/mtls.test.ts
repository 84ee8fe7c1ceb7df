/**
 * Mutual-TLS client authentication and certificate-bound access tokens (RFC 8705) end to end:
 * core's Client with mtlsFetch against the reference server's HTTPS listener.
 */
import { X509Certificate } from 'node:crypto'
import {
  Client,
  discover,
  InvalidArgumentError,
  OAuthError,
  type ServerMetadata,
} from '@openrp/core'
import {
  type ClientConfig,
  createSelfSignedCertificate,
  type ReferenceServer,
  type SelfSignedCertificate,
  startReferenceServer,
} from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { Agent, fetch as undiciFetch } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAuthorizedFetch } from '../src/authorized-fetch.ts'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'
import { mtlsFetch } from '../src/mtls-fetch.ts'

const daemonCert = createSelfSignedCertificate({ commonName: 'daemon' })
const selfCert = createSelfSignedCertificate({ commonName: 'self-signed-daemon' })
const strangerCert = createSelfSignedCertificate({ commonName: 'stranger' })

const CLIENTS: ClientConfig[] = [
  {
    client_id: 'daemon',
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: 'CN=daemon',
    tls_client_certificate_bound_access_tokens: true,
    grant_types: [
      'client_credentials',
      'password',
      'refresh_token',
      'authorization_code',
      'urn:ietf:params:oauth:grant-type:device_code',
    ],
    redirect_uris: ['http://127.0.0.1:4001/callback'],
    scope: 'openid profile offline_access api:read',
  },
  {
    client_id: 'self',
    token_endpoint_auth_method: 'self_signed_tls_client_auth',
    jwks: { keys: [{ x5c: [certDer(selfCert)], ...publicJwk(selfCert) }] },
    tls_client_certificate_bound_access_tokens: true,
    grant_types: ['client_credentials'],
    scope: 'api:read',
  },
  {
    client_id: 'native',
    token_endpoint_auth_method: 'none',
    tls_client_certificate_bound_access_tokens: true,
    grant_types: ['password', 'refresh_token'],
    scope: 'openid profile offline_access',
  },
  {
    client_id: 'plain-native',
    token_endpoint_auth_method: 'none',
    grant_types: ['password'],
    scope: 'openid',
  },
]

function certDer(cert: SelfSignedCertificate): string {
  return cert.cert.replace(/-----[A-Z ]+-----|\s/g, '')
}

function publicJwk(cert: SelfSignedCertificate): Record<string, unknown> {
  return new X509Certificate(cert.cert).publicKey.export({ format: 'jwk' }) as Record<
    string,
    unknown
  >
}

let server: ReferenceServer
let metadata: ServerMetadata

beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clients: CLIENTS,
    // tls_client_auth (RFC 8705 §2.1): the self-signed certificate is its own trust anchor.
    mtlsCa: daemonCert.cert,
  })
  metadata = (await (
    await fetch(`${server.issuer}/.well-known/openid-configuration`)
  ).json()) as ServerMetadata
  server.control.clearRequests()
})
afterAll(() => server?.close())
afterEach(() => server.control.clearRequests())

const withCert = (cert: SelfSignedCertificate) =>
  mtlsFetch({ cert: cert.cert, key: Buffer.from(cert.key), ca: server.mtlsCertificate })

const daemon = (cert = daemonCert) =>
  discover(server.issuer, {
    clientId: 'daemon',
    clientAuth: 'tls_client_auth',
    fetch: withCert(cert),
  })

const alice = { username: 'alice', password: 'wonderland' }

/** Requests by endpoint, each marked whether it reached the mutual-TLS listener. */
const log = () => server.control.requests().map((r) => `${r.endpoint}${r.mtls ? ' (mtls)' : ''}`)

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('mutual TLS with mtlsFetch (RFC 8705)', () => {
  it('tls_client_auth: client credentials at the token alias; the token is bound to the certificate', async () => {
    const client = await daemon()
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    const info = await client.introspect(tokens.accessToken)
    expect(info).toMatchObject({
      active: true,
      client_id: 'daemon',
      cnf: { 'x5t#S256': daemonCert.thumbprint },
    })
    expect(log()).toEqual(['discovery', 'token (mtls)', 'introspection (mtls)'])
  })

  it('self_signed_tls_client_auth: a certificate of the client jwks', async () => {
    const client = await discover(server.issuer, {
      clientId: 'self',
      clientAuth: 'self_signed_tls_client_auth',
      fetch: withCert(selfCert),
    })
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    const info = await client.introspect(tokens.accessToken)
    expect(info.cnf).toEqual({ 'x5t#S256': selfCert.thumbprint })
    // The bound token opens the demo API with the same certificate, through the client's fetch.
    const res = await client.fetchProtectedResource(`${server.mtlsUrl}/api/me`, tokens)
    expect(res.status).toBe(200)
  })

  it('refresh, userinfo and revocation go to the aliases', async () => {
    const client = await daemon()
    const tokens = await client.password({ ...alice, scope: 'openid profile offline_access' })
    const refreshed = await client.refresh(tokens)
    const user = await client.userinfo(refreshed)
    expect(user.preferred_username).toBe('alice')
    await client.revoke(refreshed.refreshToken as string, 'refresh_token')
    await expect(client.refresh(refreshed)).rejects.toMatchObject({ error: 'invalid_grant' })
    // JWKS (for the ID tokens) stays on the normal endpoint.
    expect(log()).toEqual([
      'discovery',
      'token (mtls)',
      'jwks',
      'token (mtls)',
      'userinfo (mtls)',
      'revocation (mtls)',
      'token (mtls)',
    ])
  })

  it('PAR and device authorization go to the aliases; the authorization endpoint does not', async () => {
    const client = await discover(server.issuer, {
      clientId: 'daemon',
      clientAuth: 'tls_client_auth',
      fetch: withCert(daemonCert),
      redirectUri: 'http://127.0.0.1:4001/callback',
      par: true,
    })
    const { url } = await client.createAuthorizationRequest()
    expect(url.origin + url.pathname).toBe(metadata.authorization_endpoint)
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:/)
    const device = await client.deviceAuthorization({ scope: 'openid' })
    expect(device.userCode).toBeTruthy()
    expect(log()).toEqual(['discovery', 'par (mtls)', 'device_authorization (mtls)'])
  })

  it('userinfo with a bound token and another certificate, or none, is a typed error', async () => {
    const tokens = await (await daemon()).password({ ...alice, scope: 'openid' })
    const other = new Client(metadata, {
      clientId: 'native',
      mtlsEndpointAliases: true,
      fetch: withCert(strangerCert),
    })
    const replayed = await rejection(other.userinfo(tokens))
    expect(replayed).toBeInstanceOf(OAuthError)
    expect(replayed).toMatchObject({ error: 'invalid_token', status: 401 })
    const noCert = new Client(metadata, { clientId: 'native' })
    await expect(noCert.userinfo(tokens)).rejects.toMatchObject({
      error: 'invalid_token',
      status: 401,
    })
  })

  it('an unregistered certificate is invalid_client', async () => {
    const error = await rejection((await daemon(strangerCert)).clientCredentials())
    expect(error).toBeInstanceOf(OAuthError)
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', error: 'invalid_client', status: 401 })
  })

  it('no certificate at all is invalid_client', async () => {
    // Trusts the server, presents nothing.
    const dispatcher = new Agent({ connect: { ca: server.mtlsCertificate } })
    const noCert = ((input: string, init?: RequestInit) =>
      // biome-ignore lint/suspicious/noExplicitAny: undici's RequestInit types differ from the DOM's
      undiciFetch(input, { ...(init as any), dispatcher })) as unknown as typeof fetch
    const client = new Client(metadata, {
      clientId: 'daemon',
      clientAuth: 'tls_client_auth',
      fetch: noCert,
    })
    await expect(client.clientCredentials()).rejects.toMatchObject({
      code: 'OAUTH_ERROR',
      error: 'invalid_client',
    })
    await dispatcher.close()
  })

  it('a public client asks for bound tokens with mtlsEndpointAliases (RFC 8705 §4)', async () => {
    const client = new Client(metadata, {
      clientId: 'native',
      mtlsEndpointAliases: true,
      fetch: withCert(strangerCert),
    })
    const tokens = await client.password({ ...alice, scope: 'openid profile offline_access' })
    const refreshed = await client.refresh(tokens)
    expect(await client.userinfo(refreshed)).toMatchObject({ preferred_username: 'alice' })
    expect(log()).toEqual(['token (mtls)', 'jwks', 'token (mtls)', 'userinfo (mtls)'])
  })

  it('a provider without mtls_endpoint_aliases: the normal endpoints are used', async () => {
    const { mtls_endpoint_aliases: _, ...withoutAliases } = metadata
    const client = new Client(withoutAliases, {
      clientId: 'plain-native',
      mtlsEndpointAliases: true,
      fetch: withCert(strangerCert),
    })
    await client.password({ ...alice, scope: 'openid' })
    expect(log()).toEqual(['token', 'jwks'])
    // An mTLS client then reaches the plain endpoint, which refuses it.
    const daemonClient = new Client(withoutAliases, {
      clientId: 'daemon',
      clientAuth: 'tls_client_auth',
      fetch: withCert(daemonCert),
    })
    await expect(daemonClient.clientCredentials()).rejects.toMatchObject({
      error: 'invalid_client',
    })
  })

  it('mTLS client authentication without a fetch is INVALID_ARGUMENT, naming mtlsFetch', () => {
    for (const clientAuth of ['tls_client_auth', 'self_signed_tls_client_auth'] as const) {
      let error: unknown
      try {
        new Client(metadata, { clientId: 'daemon', clientAuth })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' })
      expect((error as Error).message).toContain('mtlsFetch')
    }
  })

  it('ClientCredentialsProvider with mtlsFetch', async () => {
    const provider = new ClientCredentialsProvider({ client: await daemon() })
    const first = await provider.getToken({ scope: 'api:read' })
    const second = await provider.getToken({ scope: 'api:read' })
    expect(second.accessToken).toBe(first.accessToken)
    expect(server.control.requests({ endpoint: 'token' })).toMatchObject([{ mtls: true }])
    const info = await (await daemon()).introspect(first.accessToken)
    expect(info.cnf).toEqual({ 'x5t#S256': daemonCert.thumbprint })
  })

  it('createAuthorizedFetch over mtlsFetch calls a resource with the bound token and the certificate', async () => {
    const provider = new ClientCredentialsProvider({ client: await daemon() })
    const api = createAuthorizedFetch(provider, {
      scope: 'api:read',
      allowedOrigins: [server.mtlsUrl],
      fetch: withCert(daemonCert),
    })
    const res = await api(`${server.mtlsUrl}/api/me`)
    expect(res.status).toBe(200)
    // The same token with another certificate is refused (and the retry with a fresh one too).
    const stolen = createAuthorizedFetch(provider, {
      scope: 'api:read',
      allowedOrigins: [server.mtlsUrl],
      fetch: withCert(strangerCert),
    })
    expect((await stolen(`${server.mtlsUrl}/api/me`)).status).toBe(401)
  })

  it('mtlsFetch refuses unusable options', () => {
    // biome-ignore lint/suspicious/noExplicitAny: wrong types on purpose
    const call = (options: any) => () => mtlsFetch(options)
    expect(call(undefined)).toThrow(InvalidArgumentError)
    expect(call({ key: daemonCert.key })).toThrow(/cert/)
    expect(call({ cert: daemonCert.cert })).toThrow(/key/)
    expect(call({ cert: daemonCert.cert, key: daemonCert.key, ca: 42 })).toThrow(/ca/)
  })
})
