/**
 * node-oidc-provider (npm `oidc-provider`), an OpenID-certified OP, started in-process on
 * 127.0.0.1 with a client for every flow it supports. Interactive login and consent are a tiny
 * interaction handler that signs in one fixed user and grants what the request asks for, so a
 * cookie-jar HTTP client (or a real browser) goes from the authorization URL to the redirect URI
 * by following redirects.
 *
 * @module
 */
import { createHash, randomBytes, type X509Certificate } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { exportJWK, generateKeyPair } from 'jose'
import Provider, {
  type ClientMetadata,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider'
import { extraTokenClaims, registerAssertionGrants } from './grants.ts'

/**
 * The one end user of the OP: every login signs in as this account.
 *
 * @example
 * ```ts
 * expect(tokens.claims()?.sub).toBe(INTEROP_USER.sub)
 * ```
 */
export const INTEROP_USER = {
  sub: 'alice',
  claims: {
    name: 'Alice Liddell',
    given_name: 'Alice',
    family_name: 'Liddell',
    email: 'alice@example.test',
    email_verified: true,
  },
} as const

/**
 * Where the suite's clients redirect to (never fetched: the HTTP user agent stops there).
 *
 * @example
 * ```ts
 * const client = await discover(op.issuer, { clientId: 'public', redirectUri: REDIRECT_URI })
 * ```
 */
export const REDIRECT_URI = 'http://127.0.0.1:1/cb'
/** The redirect URI of the `legacy` client (hybrid and implicit), https as the OP wants it. */
export const LEGACY_REDIRECT_URI = 'https://rp.example.test/cb'
/** The suite's post-logout redirect URI (never fetched either). */
export const POST_LOGOUT_REDIRECT_URI = 'http://127.0.0.1:1/logged-out'
/** The client secret of every confidential client of the suite. */
export const CLIENT_SECRET = 'interop-secret-that-is-long-enough-for-hs256-0123456789'
/** The resource server (RFC 8707) the OP knows, with its one scope. */
export const API_RESOURCE = 'urn:openrp:interop-api'

/**
 * Options of {@link startCertifiedOp}.
 *
 * @example
 * ```ts
 * const op = await startCertifiedOp({ clients: [spaClient], refreshTokens: 'public-clients' })
 * ```
 */
export interface CertifiedOpOptions {
  /** Clients added to the suite's own, e.g. an SPA whose redirect URIs are known at run time. */
  clients?: ClientMetadata[]
  /**
   * When the OP issues refresh tokens to a code grant. `offline_access` (default) is the OP's
   * own rule (OpenID Connect Core §11: `offline_access` granted, which it grants only with
   * `prompt=consent`); `public-clients` also issues them to every public client allowed the
   * `refresh_token` grant, without `offline_access` (what an SPA that does not send
   * `prompt=consent` needs).
   */
  refreshTokens?: 'offline_access' | 'public-clients'
  /** Access-token lifetime, seconds (default 3600). */
  accessTokenTtlSec?: number
  /**
   * Lifetime of the access tokens issued for an authorization code, seconds (default
   * `accessTokenTtlSec`): short, to see a login's token expire, while refreshed ones live long.
   */
  codeAccessTokenTtlSec?: number
  /** Port on 127.0.0.1 (default 0: a free one). */
  port?: number
  /**
   * Makes the key pairs of the OP's and the suite's signing keys (one RS256, three ES256).
   * Default: fresh, extractable pairs from WebCrypto. Tests may pass pre-generated RSA keys
   * (`fixedKeyPairs()` of the workspace testkit): an RSA 2048 pair costs about a quarter of a
   * second of CPU to generate.
   */
  generateKeyPair?: (
    alg: 'ES256' | 'RS256',
  ) => Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }>
  /**
   * Serves the OP over HTTPS with OAuth 2.0 Mutual-TLS (RFC 8705): the issuer becomes
   * `https://127.0.0.1:<port>` (no client certificate asked), and a second HTTPS listener that
   * asks for one is published as the `mtls_endpoint_aliases` of the token, introspection,
   * revocation, userinfo, PAR and device authorization endpoints. The OP's `features.mTLS` is
   * on: certificate-bound access tokens, `tls_client_auth` (chains verified against `ca`) and
   * `self_signed_tls_client_auth`. Default: plain HTTP, no mTLS.
   */
  tls?: CertifiedOpTls
}

/** The certificates of an OP served over HTTPS with mutual TLS ({@link CertifiedOpOptions.tls}). */
export interface CertifiedOpTls {
  /** The OP's server certificate (PEM), valid for IP 127.0.0.1. */
  cert: string
  /** Its private key (PEM). */
  key: string
  /**
   * The CA certificate (PEM) that client certificates of the PKI method (`tls_client_auth`,
   * RFC 8705 §2.1) must chain to.
   */
  ca: string
}

/** One request the OP answered, for tests that count. */
export interface OpRequest {
  method: string
  path: string
  /** `grant_type` of a token request. */
  grantType?: string
  status: number
  /** Media type of the answer, e.g. `application/jwt` for signed userinfo. */
  contentType: string
  origin?: string
  /** Arrived at the mutual-TLS listener (the `mtls_endpoint_aliases`, with `tls` only). */
  mtls?: true
  /** `x5t#S256` of the client certificate presented with the request, if any. */
  certificate?: string
}

/** The keys a client of the suite signs with (their public halves are registered at the OP). */
export interface InteropKeys {
  /** ES256 private JWK (with `kid`) of the `private_key_jwt` and JAR clients. */
  client: JsonWebKey & { kid: string }
  /** ES256 private JWK (with `kid`) of the issuer of JWT bearer assertions the OP trusts. */
  assertionIssuer: JsonWebKey & { kid: string }
}

/** A running node-oidc-provider. */
export interface CertifiedOp {
  /** e.g. `http://127.0.0.1:41234` (`https:` with `tls`) */
  issuer: string
  /** With `tls`: the origin of the mutual-TLS listener, e.g. `https://127.0.0.1:41235`. */
  mtlsOrigin?: string
  /** The provider instance (e.g. to look tokens up). */
  provider: Provider
  keys: InteropKeys
  /** The `oidc-provider` version running. */
  version: string
  /** Requests answered so far, oldest first. */
  requests(): OpRequest[]
  /** Forgets the recorded requests. */
  clearRequests(): void
  close(): Promise<void>
}

/**
 * Starts node-oidc-provider on 127.0.0.1 with the suite's clients (see the interop README for
 * the list) and every feature the suite exercises turned on.
 *
 * @example
 * ```ts
 * const op = await startCertifiedOp()
 * const client = await discover(op.issuer, { clientId: 'public', redirectUri: REDIRECT_URI })
 * // ...
 * await op.close()
 * ```
 */
export async function startCertifiedOp(options: CertifiedOpOptions = {}): Promise<CertifiedOp> {
  const generate = options.generateKeyPair ?? freshKeyPair
  const [opEs256, opRs256, clientKey, assertionKey] = await Promise.all([
    privateJwk(generate, 'ES256', 'op-es256'),
    privateJwk(generate, 'RS256', 'op-rs256'),
    privateJwk(generate, 'ES256', 'client-es256'),
    privateJwk(generate, 'ES256', 'assertion-es256'),
  ])
  const clientPublic = publicJwk(clientKey)
  const tls = options.tls
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createServer()
  // RFC 8705 §5: the aliases on a listener of their own, the only one that asks for a client
  // certificate (verified against the CA for tls_client_auth, not required by the handshake:
  // self-signed ones are allowed in, and the OP decides).
  const mtlsServer = tls
    ? createHttpsServer({
        cert: tls.cert,
        key: tls.key,
        ca: tls.ca,
        requestCert: true,
        rejectUnauthorized: false,
      })
    : undefined
  const servers = mtlsServer ? [server, mtlsServer] : [server]
  const ports = await Promise.all(
    servers.map(
      (listener, i) =>
        new Promise<number>((ok, fail) => {
          listener.once('error', fail)
          listener.listen(i === 0 ? (options.port ?? 0) : 0, '127.0.0.1', () =>
            ok((listener.address() as AddressInfo).port),
          )
        }),
    ),
  )
  const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${ports[0]}`
  const mtlsOrigin = mtlsServer ? `https://127.0.0.1:${ports[1]}` : undefined
  const provider = new Provider(
    issuer,
    configuration({
      clients: [...suiteClients(clientPublic), ...(options.clients ?? [])],
      jwks: { keys: [opEs256, opRs256] },
      refreshTokens: options.refreshTokens ?? 'offline_access',
      accessTokenTtlSec: options.accessTokenTtlSec ?? 3600,
      codeAccessTokenTtlSec: options.codeAccessTokenTtlSec ?? options.accessTokenTtlSec ?? 3600,
      mtlsOrigin,
    }),
  )
  registerAssertionGrants(provider, publicJwk(assertionKey))
  const log: OpRequest[] = []
  provider.use(async (ctx, next) => {
    try {
      await next()
    } finally {
      const grantType = ctx.oidc?.params?.grant_type
      const certificate = peerCertificate(ctx)
      log.push({
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        contentType: ctx.response.type,
        ...(typeof grantType === 'string' && { grantType }),
        ...(ctx.get('origin') && { origin: ctx.get('origin') }),
        ...(mtlsServer && ctx.socket.localPort === ports[1] && { mtls: true as const }),
        ...(certificate && { certificate: thumbprint(certificate) }),
      })
    }
  })
  provider.use(interaction(provider))
  for (const listener of servers) listener.on('request', provider.callback())
  const { version } = (await import('oidc-provider/package.json', { with: { type: 'json' } }))
    .default as { version: string }
  return {
    issuer,
    ...(mtlsOrigin && { mtlsOrigin }),
    provider,
    keys: { client: clientKey, assertionIssuer: assertionKey },
    version,
    requests: () => [...log],
    clearRequests: () => {
      log.length = 0
    },
    close: async () => {
      await Promise.all(
        servers.map(
          (listener) =>
            new Promise<void>((ok) => {
              listener.closeAllConnections()
              listener.close(() => ok())
            }),
        ),
      )
    },
  }
}

/**
 * The OP's endpoints that have an alias on the mutual-TLS listener (RFC 8705 §5), by metadata
 * name: the OP's default routes (`routes` is not configured here).
 */
export const MTLS_ALIASED_PATHS = {
  token_endpoint: '/token',
  introspection_endpoint: '/token/introspection',
  revocation_endpoint: '/token/revocation',
  userinfo_endpoint: '/me',
  pushed_authorization_request_endpoint: '/request',
  device_authorization_endpoint: '/device/auth',
} as const

/** The certificate the client presented on this request's TLS connection, if any. */
function peerCertificate(ctx: { socket: object }): X509Certificate | undefined {
  const socket = ctx.socket as Partial<TLSSocket>
  return socket.encrypted ? socket.getPeerX509Certificate?.() : undefined
}

/** `x5t#S256` (RFC 8705 §3.1): base64url SHA-256 of the DER certificate. */
function thumbprint(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('base64url')
}

/**
 * RFC 8705 §2.1.2: whether the certificate carries the value the client registered. The subject
 * DN is compared in its RFC 4514 string form (most specific RDN first, as registered); SAN
 * dNSName case-insensitively, SAN iPAddress as text. Other `tls_client_auth_*` are not used by
 * the suite: no match.
 */
function subjectMatches(cert: X509Certificate, property: string, expected: string): boolean {
  const sans = (cert.subjectAltName ?? '').split(', ')
  switch (property) {
    case 'tls_client_auth_subject_dn':
      return cert.subject.split('\n').reverse().join(',') === expected.replace(/,\s+/g, ',')
    case 'tls_client_auth_san_dns':
      return sans.includes(`DNS:${expected.toLowerCase()}`)
    case 'tls_client_auth_san_ip':
      return sans.includes(`IP Address:${expected}`)
    default:
      return false
  }
}

interface ConfigInput {
  clients: ClientMetadata[]
  jwks: { keys: JsonWebKey[] }
  refreshTokens: 'offline_access' | 'public-clients'
  accessTokenTtlSec: number
  codeAccessTokenTtlSec: number
  /** The mutual-TLS listener's origin: mTLS on, its aliases published. */
  mtlsOrigin: string | undefined
}

function configuration(input: ConfigInput): Configuration {
  return {
    clients: input.clients,
    jwks: input.jwks as Configuration['jwks'],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // The hybrid and implicit types are off by default; `code token` and the implicit types
    // carry an access token in the front channel.
    responseTypes: [
      'code',
      'code id_token',
      'code token',
      'code id_token token',
      'id_token',
      'id_token token',
      'none',
    ],
    scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read'],
    ...(input.mtlsOrigin && {
      // The OP's default list, and the two RFC 8705 methods (not in it even with mTLS on).
      clientAuthMethods: [
        'client_secret_basic',
        'client_secret_jwt',
        'client_secret_post',
        'private_key_jwt',
        'none',
        'tls_client_auth',
        'self_signed_tls_client_auth',
      ],
      discovery: {
        mtls_endpoint_aliases: Object.fromEntries(
          Object.entries(MTLS_ALIASED_PATHS).map(([name, path]) => [
            name,
            `${input.mtlsOrigin}${path}`,
          ]),
        ),
      },
    }),
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
    },
    extraTokenClaims,
    // The OP's outgoing requests (back-channel logout) refuse special-use addresses such as
    // 127.0.0.1 (SSRF protection through its own dispatcher); here the RP is on loopback.
    fetch: (url, options) => {
      const { dispatcher: _ssrfGuard, ...init } = options as RequestInit & { dispatcher?: unknown }
      return globalThis.fetch(url, init)
    },
    async findAccount(_ctx, sub) {
      if (sub !== INTEROP_USER.sub) return undefined
      return { accountId: sub, claims: async () => ({ sub, ...INTEROP_USER.claims }) }
    },
    // PKCE for every client of the code flow (RFC 9700 §2.1.1), not only public ones.
    pkce: { required: () => true },
    features: {
      // Replaced by the fixed-user interaction below.
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      jwtUserinfo: { enabled: true },
      requestObjects: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      // OpenID Connect Back-Channel Logout 1.0: logout tokens POSTed to the RP at end_session.
      backchannelLogout: { enabled: true },
      // Dynamic client registration (RFC 7591), open (no initial access token).
      registration: { enabled: true },
      // DPoP with server nonces (RFC 9449 §8, §9): every proof must carry the OP's nonce.
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
      // RFC 8705, with the certificate of the TLS connection (only the mutual-TLS listener
      // asks for one).
      mTLS: {
        enabled: input.mtlsOrigin !== undefined,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: (ctx) => peerCertificate(ctx)?.toString(),
        // The chain was verified against the CA in the handshake (RFC 8705 §2.1).
        certificateAuthorized: (ctx) => (ctx.socket as Partial<TLSSocket>).authorized === true,
        certificateSubjectMatches: (ctx, property, expected) => {
          const cert = peerCertificate(ctx)
          return cert !== undefined && subjectMatches(cert, property, expected)
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== API_RESOURCE) throw new Error(`unknown resource ${resource}`)
          return { scope: 'api:read', audience: API_RESOURCE, accessTokenFormat: 'opaque' }
        },
      },
    },
    // Browsers call the token, userinfo and revocation endpoints from the SPA's origin:
    // allowed for the origins of the calling client's redirect URIs.
    clientBasedCORS: (_ctx, origin, client) =>
      client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false,
    issueRefreshToken: async (_ctx, client, code) => {
      if (!client.grantTypeAllowed('refresh_token')) return false
      if (code.scopes.has('offline_access')) return true
      return input.refreshTokens === 'public-clients' && client.clientAuthMethod === 'none'
    },
    // Rotate on every use (the OP's default rotates only for public clients without DPoP).
    rotateRefreshToken: true,
    ttl: {
      AccessToken: (ctx) =>
        ctx?.oidc?.params?.grant_type === 'authorization_code'
          ? input.codeAccessTokenTtlSec
          : input.accessTokenTtlSec,
      AuthorizationCode: 60,
      ClientCredentials: input.accessTokenTtlSec,
      DeviceCode: 600,
      Grant: 3600,
      IdToken: 3600,
      Interaction: 600,
      RefreshToken: 86_400,
      Session: 3600,
    },
  }
}

/**
 * GET `/interaction/<uid>`: logs the fixed user in, or grants the scopes and claims the request
 * is missing, and sends the user agent back to the OP's authorization endpoint.
 */
function interaction(provider: Provider) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    if (ctx.method !== 'GET' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next()
    const details = await provider.interactionDetails(ctx.req, ctx.res)
    const { prompt, params, session, grantId } = details
    let result: Record<string, unknown>
    if (prompt.name === 'login') {
      result = { login: { accountId: INTEROP_USER.sub } }
    } else {
      const grant = grantId
        ? await provider.Grant.find(grantId)
        : new provider.Grant({ accountId: session?.accountId, clientId: String(params.client_id) })
      if (!grant) throw new Error('interaction: grant not found')
      const missing = prompt.details as {
        missingOIDCScope?: string[]
        missingOIDCClaims?: string[]
        missingResourceScopes?: Record<string, string[]>
      }
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
      for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
        grant.addResourceScope(resource, scopes.join(' '))
      result = { consent: { grantId: await grant.save() } }
    }
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: true,
    })
    ctx.status = 303
    ctx.redirect(returnTo)
  }
}

/**
 * The suite's clients, one per way of talking to the OP. Every ID token is ES256.
 */
function suiteClients(clientPublicJwk: JsonWebKey): ClientMetadata[] {
  const web = {
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
    id_token_signed_response_alg: 'ES256',
  } as const
  const secret = {
    client_secret: CLIENT_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
  } as const
  const keyed = {
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [clientPublicJwk] },
  } as const
  return [
    // Code + PKCE, public (an SPA or a native app).
    {
      client_id: 'public',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...web,
    },
    // Code + PKCE, confidential.
    {
      client_id: 'confidential',
      ...secret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...web,
    },
    // Every hybrid and implicit response type. The OP wants https redirect URIs for web clients
    // of the implicit grant (the user agent stops at the redirect URI: nothing listens there).
    {
      client_id: 'legacy',
      ...secret,
      grant_types: ['authorization_code', 'implicit', 'refresh_token'],
      response_types: [
        'code',
        'code id_token',
        'code token',
        'code id_token token',
        'id_token',
        'id_token token',
      ],
      redirect_uris: [LEGACY_REDIRECT_URI],
      id_token_signed_response_alg: 'ES256',
    },
    // private_key_jwt client authentication and signed request objects (JAR, RFC 9101).
    {
      client_id: 'keyed',
      ...keyed,
      request_object_signing_alg: 'ES256',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      ...web,
    },
    // DPoP-bound tokens only (RFC 9449 §5.2 `dpop_bound_access_tokens`).
    {
      client_id: 'dpop',
      ...secret,
      dpop_bound_access_tokens: true,
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      ...web,
    },
    // Signed userinfo (OpenID Connect Registration `userinfo_signed_response_alg`).
    {
      client_id: 'signed-userinfo',
      ...secret,
      userinfo_signed_response_alg: 'ES256',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...web,
    },
    // Signed userinfo with the OP's RS256 key, for a client that expects ES256.
    {
      client_id: 'signed-userinfo-rs256',
      ...secret,
      userinfo_signed_response_alg: 'RS256',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      ...web,
    },
    // Machine to machine: client credentials, token exchange, JWT bearer (client_secret_post).
    {
      client_id: 'service',
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:token-exchange',
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
      ],
      response_types: [],
      redirect_uris: [],
    },
    // client_secret_jwt client authentication (HS256 assertion with the secret).
    {
      client_id: 'secret-jwt',
      client_secret: CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_jwt',
      token_endpoint_auth_signing_alg: 'HS256',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    // Device authorization (RFC 8628), a public client on a TV.
    {
      client_id: 'tv',
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      id_token_signed_response_alg: 'ES256',
    },
  ]
}

const freshKeyPair = (alg: 'ES256' | 'RS256') => generateKeyPair(alg, { extractable: true })

async function privateJwk(
  generate: NonNullable<CertifiedOpOptions['generateKeyPair']>,
  alg: 'ES256' | 'RS256',
  kid: string,
) {
  const { privateKey } = await generate(alg)
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' } as JsonWebKey & { kid: string }
}

function publicJwk(jwk: JsonWebKey & { kid: string }): JsonWebKey & { kid: string } {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk
  return pub
}
