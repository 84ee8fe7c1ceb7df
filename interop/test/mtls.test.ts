/**
 * OAuth 2.0 Mutual-TLS (RFC 8705) against node-oidc-provider served over HTTPS: client
 * authentication with `tls_client_auth` (PKI: a certificate of a throw-away CA, registered by
 * subject DN or SAN dNSName) and `self_signed_tls_client_auth` (a certificate in the client's
 * `jwks`), certificate-bound access and refresh tokens, and the `mtls_endpoint_aliases` of the
 * OP's discovery document, where the only listener that asks for a client certificate is.
 * `@openrp/core` presents the certificate through `mtlsFetch` of `@openrp/node`.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { Client, discover, isOpenRpError, type ServerMetadata, type TokenSet } from '@openrp/core'
import { mtlsFetch } from '@openrp/node'
import { createSelfSignedCertificate, issueCertificate } from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { Agent, fetch as undiciFetch } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type CertifiedOp,
  INTEROP_USER,
  MTLS_ALIASED_PATHS,
  REDIRECT_URI,
  startCertifiedOp,
  UserAgent,
} from '../src/index.ts'
import { login, OFFLINE } from './helpers.ts'

// A throw-away PKI: the CA vouches for the OP's server certificate and the PKI clients.
const ca = createSelfSignedCertificate({ commonName: 'openrp interop CA' })
const opCert = issueCertificate(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'] })
/** tls_client_auth, registered by subject DN. */
const daemonCert = issueCertificate(ca, { commonName: 'billing-daemon' })
/** tls_client_auth, registered by SAN dNSName. */
const reportsCert = issueCertificate(ca, {
  commonName: 'reports',
  dnsNames: ['reports.openrp.test'],
})
/** self_signed_tls_client_auth, registered in the client's jwks. */
const selfCert = createSelfSignedCertificate({ commonName: 'self-signed-daemon' })
/** tls_client_auth of a web app (code flow with PAR). */
const webCert = issueCertificate(ca, { commonName: 'web-app' })
/** Registered by its public key only, without the certificate (no x5c). */
const keyOnlyCert = createSelfSignedCertificate({ commonName: 'key-only' })
/** The certificate of a public app whose tokens are bound to it. */
const appCert = issueCertificate(ca, { commonName: 'native-app' })
/** Issued by the CA, registered for no client. */
const strangerCert = issueCertificate(ca, { commonName: 'stranger' })

/** x5t#S256 (RFC 8705 §3.1) computed here: base64url SHA-256 of the DER certificate. */
const x5t = (pem: string) =>
  createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url')

const der = (pem: string) => new X509Certificate(pem).raw.toString('base64')

let op: CertifiedOp
beforeAll(async () => {
  op = await startCertifiedOp({
    generateKeyPair: fixedKeyPairs(),
    tls: { cert: opCert.cert, key: opCert.key, ca: ca.cert },
    clients: [
      {
        client_id: 'mtls-dn',
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: 'CN=billing-daemon',
        tls_client_certificate_bound_access_tokens: true,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: 'mtls-san',
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_san_dns: 'reports.openrp.test',
        tls_client_certificate_bound_access_tokens: true,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: 'mtls-self-signed',
        token_endpoint_auth_method: 'self_signed_tls_client_auth',
        jwks: {
          keys: [
            {
              ...new X509Certificate(selfCert.cert).publicKey.export({ format: 'jwk' }),
              x5c: [der(selfCert.cert)],
            },
          ],
        },
        tls_client_certificate_bound_access_tokens: true,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: 'mtls-web',
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: 'CN=web-app',
        tls_client_certificate_bound_access_tokens: true,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
        id_token_signed_response_alg: 'ES256',
      },
      // RFC 8705 §2.2.2: a certificate is registered as a JWK's x5c; the key members are
      // "not utilized". A key without x5c registers no certificate.
      {
        client_id: 'mtls-key-only',
        token_endpoint_auth_method: 'self_signed_tls_client_auth',
        jwks: { keys: [new X509Certificate(keyOnlyCert.cert).publicKey.export({ format: 'jwk' })] },
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      // A public client (an installed app) whose tokens are bound to its certificate.
      {
        client_id: 'mtls-app',
        token_endpoint_auth_method: 'none',
        tls_client_certificate_bound_access_tokens: true,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
        id_token_signed_response_alg: 'ES256',
      },
    ],
  })
})
afterAll(async () => {
  await op?.close()
  await noCertAgent.close()
})
beforeEach(() => op.clearRequests())

/** A fetch that presents `cert` and trusts the OP's certificate (issued by the test CA). */
const withCert = (cert: { cert: string; key: string }) =>
  mtlsFetch({ cert: cert.cert, key: cert.key, ca: ca.cert })

/** A fetch that trusts the OP's certificate and presents none. */
const noCertAgent = new Agent({ connect: { ca: ca.cert } })
const withoutCert = ((input: string | URL, init?: RequestInit) =>
  // biome-ignore lint/suspicious/noExplicitAny: the DOM's RequestInit and undici's differ in typing only
  undiciFetch(input, { ...(init as any), dispatcher: noCertAgent })) as unknown as typeof fetch

const tlsClient = (clientId: string, cert: { cert: string; key: string }) =>
  discover(op.issuer, { clientId, clientAuth: 'tls_client_auth', fetch: withCert(cert) })

const app = (fetchWith: typeof fetch) =>
  discover(op.issuer, {
    clientId: 'mtls-app',
    redirectUri: REDIRECT_URI,
    mtlsEndpointAliases: true,
    fetch: fetchWith,
  })

/** The OP's requests: path, and whether it came to the mutual-TLS listener with which cert. */
const seen = () =>
  op.requests().map((r) => ({
    path: r.path,
    ...(r.mtls && { mtls: true }),
    ...(r.certificate && { certificate: r.certificate }),
  }))

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

function expectInvalidClient(error: unknown) {
  expect(isOpenRpError(error, 'OAUTH_ERROR')).toBe(true)
  expect(error).toMatchObject({ error: 'invalid_client', status: 401 })
}

/** x5t#S256 the OP bound an access token to (its own record of the token). */
async function boundTo(tokens: TokenSet): Promise<string | undefined> {
  const token = await op.provider.AccessToken.find(tokens.accessToken)
  if (!token) throw new Error('the OP does not know the access token')
  return token['x5t#S256']
}

describe('mutual-TLS client authentication against node-oidc-provider (RFC 8705 §2)', () => {
  it('tls_client_auth, subject DN: a client-credentials token bound to the certificate', async () => {
    const client = await tlsClient('mtls-dn', daemonCert)
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    expect(tokens.tokenType).toBe('Bearer')
    const info = await client.introspect(tokens)
    expect(info).toMatchObject({
      active: true,
      client_id: 'mtls-dn',
      cnf: { 'x5t#S256': x5t(daemonCert.cert) },
    })
  })

  it('tls_client_auth, SAN dNSName: a client-credentials token bound to the certificate', async () => {
    const client = await tlsClient('mtls-san', reportsCert)
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    const info = await client.introspect(tokens)
    expect(info).toMatchObject({
      active: true,
      client_id: 'mtls-san',
      cnf: { 'x5t#S256': x5t(reportsCert.cert) },
    })
  })

  it('self_signed_tls_client_auth: a certificate of the client jwks, the token bound to it', async () => {
    const client = await discover(op.issuer, {
      clientId: 'mtls-self-signed',
      clientAuth: 'self_signed_tls_client_auth',
      fetch: withCert(selfCert),
    })
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    const info = await client.introspect(tokens)
    expect(info).toMatchObject({
      active: true,
      client_id: 'mtls-self-signed',
      cnf: { 'x5t#S256': x5t(selfCert.cert) },
    })
  })

  it("sends the token, introspection and revocation requests to the discovery document's mtls_endpoint_aliases", async () => {
    const metadata = (await (
      await withoutCert(`${op.issuer}/.well-known/openid-configuration`)
    ).json()) as ServerMetadata
    const aliases = metadata.mtls_endpoint_aliases ?? {}
    expect(Object.keys(aliases).sort()).toEqual(Object.keys(MTLS_ALIASED_PATHS).sort())
    for (const [name, alias] of Object.entries(aliases)) {
      const endpoint = new URL(String(metadata[name as keyof ServerMetadata]))
      expect(new URL(String(alias)).origin).toBe(op.mtlsOrigin)
      expect(new URL(String(alias)).pathname).toBe(endpoint.pathname)
      expect(endpoint.origin).toBe(op.issuer)
    }
    op.clearRequests()

    const client = await tlsClient('mtls-dn', daemonCert)
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    await client.revoke(tokens.accessToken, 'access_token')
    expect(await client.introspect(tokens)).toEqual({ active: false })
    const certificate = x5t(daemonCert.cert)
    expect(seen()).toEqual([
      // Discovery at the issuer: that listener asks for no certificate.
      { path: '/.well-known/openid-configuration' },
      { path: '/token', mtls: true, certificate },
      { path: '/token/revocation', mtls: true, certificate },
      { path: '/token/introspection', mtls: true, certificate },
    ])
  })

  it('code flow with PAR: the pushed request and the token request at their aliases, the user at the issuer', async () => {
    const client = await discover(op.issuer, {
      clientId: 'mtls-web',
      clientAuth: 'tls_client_auth',
      redirectUri: REDIRECT_URI,
      par: true,
      fetch: withCert(webCert),
    })
    op.clearRequests()
    const { tokens } = await login(
      client,
      { scope: 'openid' },
      new UserAgent({ fetch: withoutCert }),
    )
    expect(await boundTo(tokens)).toBe(x5t(webCert.cert))
    const certificate = x5t(webCert.cert)
    const steps = seen().filter((r) => ['/request', '/auth', '/token'].includes(r.path))
    expect(steps.at(0)).toEqual({ path: '/request', mtls: true, certificate })
    expect(steps.at(-1)).toEqual({ path: '/token', mtls: true, certificate })
    // The user agent's visits to the authorization endpoint, at the issuer, without a certificate.
    const visits = steps.slice(1, -1)
    expect(visits.length).toBeGreaterThan(0)
    expect(visits.every((r) => r.path === '/auth' && !r.mtls && !r.certificate)).toBe(true)
  })

  it('without the aliases, the same client reaches a token endpoint that sees no certificate (invalid_client)', async () => {
    // The control for the test above: the aliases are what make mTLS work at this OP.
    const metadata = (await (
      await withoutCert(`${op.issuer}/.well-known/openid-configuration`)
    ).json()) as ServerMetadata
    const { mtls_endpoint_aliases: _aliases, ...withoutAliases } = metadata
    const client = new Client(withoutAliases, {
      clientId: 'mtls-dn',
      clientAuth: 'tls_client_auth',
      fetch: withCert(daemonCert),
    })
    op.clearRequests()
    expectInvalidClient(await rejection(client.clientCredentials({ scope: 'api:read' })))
    expect(seen()).toEqual([{ path: '/token' }])
  })

  it('refuses certificates the OP does not know for the client: invalid_client (OAuthError)', async () => {
    // Issued by the CA, another subject.
    expectInvalidClient(
      await rejection((await tlsClient('mtls-dn', strangerCert)).clientCredentials()),
    )
    // The registered subject, but self-signed: its chain does not verify against the CA.
    const impostor = createSelfSignedCertificate({ commonName: 'billing-daemon' })
    expectInvalidClient(await rejection((await tlsClient('mtls-dn', impostor)).clientCredentials()))
    // SAN client with a certificate without the registered dNSName.
    expectInvalidClient(
      await rejection((await tlsClient('mtls-san', daemonCert)).clientCredentials()),
    )
    // A self-signed certificate that is not in the client's jwks.
    const other = await discover(op.issuer, {
      clientId: 'mtls-self-signed',
      clientAuth: 'self_signed_tls_client_auth',
      fetch: withCert(createSelfSignedCertificate({ commonName: 'self-signed-daemon' })),
    })
    expectInvalidClient(await rejection(other.clientCredentials()))
    // The certificate of a key registered without x5c (RFC 8705 §2.2.2).
    const keyOnly = await discover(op.issuer, {
      clientId: 'mtls-key-only',
      clientAuth: 'self_signed_tls_client_auth',
      fetch: withCert(keyOnlyCert),
    })
    expectInvalidClient(await rejection(keyOnly.clientCredentials()))
    // No certificate at all.
    const bare = await discover(op.issuer, {
      clientId: 'mtls-dn',
      clientAuth: 'tls_client_auth',
      fetch: withoutCert,
    })
    expectInvalidClient(await rejection(bare.clientCredentials()))
    // Each at the token endpoint's alias, refused for its certificate (or for having none).
    const tokenRequests = op.requests().filter((r) => r.path === '/token')
    expect(tokenRequests.map((r) => [r.mtls, r.status, r.certificate !== undefined])).toEqual([
      [true, 401, true],
      [true, 401, true],
      [true, 401, true],
      [true, 401, true],
      [true, 401, true],
      [true, 401, false],
    ])
  })
})

describe('certificate-bound tokens from a code flow against node-oidc-provider (RFC 8705 §3)', () => {
  const browser = () => new UserAgent({ fetch: withoutCert })

  async function appLogin(): Promise<TokenSet> {
    const client = await app(withCert(appCert))
    const { tokens } = await login(client, OFFLINE, browser())
    expect(tokens.refreshToken).toBeDefined()
    return tokens
  }

  it('binds the access token to the certificate; userinfo with it works, without or with another refused', async () => {
    const tokens = await appLogin()
    expect(await boundTo(tokens)).toBe(x5t(appCert.cert))
    const token = op.requests().find((r) => r.path === '/token')
    expect(token).toMatchObject({ status: 200, mtls: true, certificate: x5t(appCert.cert) })

    op.clearRequests()
    const user = await (await app(withCert(appCert))).userinfo(tokens)
    expect(user.sub).toBe(INTEROP_USER.sub)
    expect(seen().at(-1)).toEqual({ path: '/me', mtls: true, certificate: x5t(appCert.cert) })

    for (const fetchWith of [withoutCert, withCert(strangerCert)]) {
      const refused = await rejection((await app(fetchWith)).userinfo(tokens))
      expect(isOpenRpError(refused, 'OAUTH_ERROR')).toBe(true)
      expect(refused).toMatchObject({ error: 'invalid_token', status: 401 })
    }
  })

  it('refreshes the bound token with the same certificate only (invalid_grant otherwise)', async () => {
    const tokens = await appLogin()
    for (const fetchWith of [withoutCert, withCert(strangerCert)]) {
      const refused = await rejection((await app(fetchWith)).refresh(tokens))
      expect(isOpenRpError(refused, 'INVALID_GRANT')).toBe(true)
      expect(refused).toMatchObject({ error: 'invalid_grant', status: 400 })
    }
    const client = await app(withCert(appCert))
    const refreshed = await client.refresh(tokens)
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken)
    expect(await boundTo(refreshed)).toBe(x5t(appCert.cert))
    expect((await client.userinfo(refreshed)).sub).toBe(INTEROP_USER.sub)
  })
})
