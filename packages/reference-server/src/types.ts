/**
 * Public types of the reference OpenID Provider: its options, clients, users, faults and the
 * request log. Protocol data uses the spec's names (client_id, redirect_uris, ...).
 */
import type { CryptoKey as JoseCryptoKey } from 'jose'

/** How a client authenticates at the token endpoint (`token_endpoint_auth_method`). */
export type ClientAuthMethod =
  | 'none'
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'client_secret_jwt'
  | 'private_key_jwt'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth'

/** A `response_type` the reference server accepts. */
export type ResponseType =
  | 'code'
  | 'code id_token'
  | 'code token'
  | 'code id_token token'
  | 'id_token'
  | 'id_token token'

/** A registered client (RFC 7591 metadata names). */
export interface ClientConfig {
  client_id: string
  client_name?: string
  /** Required for client_secret_basic / client_secret_post / client_secret_jwt. */
  client_secret?: string
  token_endpoint_auth_method: ClientAuthMethod
  /**
   * Public JWKS for private_key_jwt, and for verifying the request objects (RFC 9101) and RFC 7523
   * assertions the client signs.
   */
  jwks?: { keys: Record<string, unknown>[] }
  /**
   * Exact-match redirect URIs. A loopback IP URI (http://127.0.0.1/... or http://[::1]/...)
   * of a native client (`application_type: 'native'`) matches any port (RFC 8252 §7.3).
   */
  redirect_uris?: string[]
  post_logout_redirect_uris?: string[]
  grant_types: string[]
  response_types?: ResponseType[]
  /** Scopes the client may ask for. */
  scope: string
  application_type?: 'web' | 'native'
  /** Access tokens must be DPoP-bound for this client. */
  dpop_bound_access_tokens?: boolean
  /**
   * For `tls_client_auth` (RFC 8705 §2.1.2): the subject DN the client certificate must have,
   * RFC 4514 order (e.g. `CN=billing-daemon,O=Example`). Or `tls_client_auth_san_dns`.
   */
  tls_client_auth_subject_dn?: string
  /** For `tls_client_auth`: a dNSName the client certificate's subjectAltName must list. */
  tls_client_auth_san_dns?: string
  /**
   * Access tokens are bound to the client certificate (RFC 8705 §3): `cnf["x5t#S256"]`, and the
   * token endpoint must be called with a certificate (at the `mtls_endpoint_aliases`); the
   * userinfo endpoint and the demo API refuse the token without that certificate.
   */
  tls_client_certificate_bound_access_tokens?: boolean
  /** The client must use PAR (RFC 9126). */
  require_pushed_authorization_requests?: boolean
  /**
   * The client must send its authorization requests as signed request objects (JAR, RFC 9101
   * §10.5), at /authorize and at /par; they are verified with its `jwks`.
   */
  require_signed_request_object?: boolean
  /** Lifetime of access tokens issued to this client, seconds (overrides the server default). */
  access_token_ttl?: number
  /**
   * Seconds after a rotation during which the rotated refresh token may be exchanged again
   * (a provider "reuse interval" / "grace period"); overrides the server's
   * `refreshTokenReuseInterval`. `0`: reuse always revokes the family.
   */
  refresh_token_reuse_interval?: number
  /** Audiences (resource indicators) this client may request tokens for. */
  allowed_audiences?: string[]
  /**
   * The audiences (resource indicators, RFC 8707) this client serves as a resource server: it
   * may introspect (RFC 7662) the access tokens whose `aud` names one of them. Without it a
   * client introspects only the tokens issued to it; any other token is answered
   * `{ "active": false }`. Not accepted by dynamic registration.
   *
   * @example
   * ```ts
   * const api: ClientConfig = {
   *   client_id: 'orders-api',
   *   client_secret: 'orders-api-secret',
   *   token_endpoint_auth_method: 'client_secret_basic',
   *   grant_types: [],
   *   scope: '',
   *   introspection_audiences: ['https://orders.example.test'],
   * }
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc7662#section-4
   */
  introspection_audiences?: string[]
  /** Skip the consent page for this client (first-party). */
  skip_consent?: boolean
  backchannel_logout_uri?: string
  /** Algorithm of this client's ID tokens (RS256 by default). */
  id_token_signed_response_alg?: 'RS256' | 'ES256'
  /**
   * UserInfo answers for this client are JWTs signed with this alg (OpenID Connect
   * Registration §2); without it they are plain JSON.
   */
  userinfo_signed_response_alg?: 'RS256' | 'ES256'
}

/** A user the reference server can log in: credentials and claims. */
export interface UserConfig {
  username: string
  password: string
  /** Stable subject identifier. */
  sub: string
  /** Standard claims returned by userinfo and in ID tokens when scopes allow. */
  claims: Record<string, unknown>
}

/** A trusted issuer of RFC 7523 JWT assertions or RFC 7522 SAML assertions. */
export interface TrustedAssertionIssuer {
  issuer: string
  /** Public JWKS (JWT) or PEM certificate (SAML). */
  jwks?: { keys: Record<string, unknown>[] }
  certificate?: string
}

/** Handler for a vendor grant registered with `grants`. */
export type VendorGrantHandler = (
  ctx: VendorGrantContext,
) => Promise<VendorGrantResult> | VendorGrantResult

/** What a vendor grant handler gets: the authenticated client, the request parameters and helpers. */
export interface VendorGrantContext {
  client: ClientConfig
  params: URLSearchParams
  /** Verifies an access token this server issued; `undefined` when invalid, expired or revoked. */
  verifyAccessToken(token: string): Promise<Record<string, unknown> | undefined>
}

/** What a vendor grant handler returns: the token to issue, or an OAuth error. */
export type VendorGrantResult =
  | {
      sub: string
      scope?: string
      audience?: string
      extraClaims?: Record<string, unknown>
      refreshToken?: boolean
    }
  | { error: string; error_description?: string }

/** Options of {@link startReferenceServer}. */
export interface ReferenceServerOptions {
  /** 0 (default) picks a free port. */
  port?: number
  /** Host to bind; loopback only (127.0.0.1 default, or ::1). */
  host?: string
  /** Defaults to `http://127.0.0.1:<port>`. */
  issuer?: string
  /** Replaces the demo clients when given. */
  clients?: ClientConfig[]
  /** Replaces the demo users when given. */
  users?: UserConfig[]
  trustedIssuers?: TrustedAssertionIssuer[]
  /** Vendor grants by grant_type URI/name, e.g. `organization_switch`. */
  grants?: Record<string, VendorGrantHandler>
  /** Default access-token lifetime, seconds (3600). */
  accessTokenTtl?: number
  idTokenTtl?: number
  refreshTokenTtl?: number
  authorizationCodeTtl?: number
  deviceCodeTtl?: number
  /** Device flow polling interval, seconds (5). */
  deviceInterval?: number
  /**
   * Wrong user codes one source address may enter at the verification page (`/device`) within a
   * device code's lifetime (`deviceCodeTtl`, sliding) before its code entries are refused with
   * 429 and `Retry-After`, the right code too, until its oldest wrong one is that old (RFC 8628
   * §5.1: short user codes must be rate-limited). A whole number, 5 by default; `Infinity` turns
   * the limit off. The server listens on loopback only, so every browser of the machine shares
   * one address: the limit is in effect server-wide.
   *
   * @see https://www.rfc-editor.org/rfc/rfc8628#section-5.1
   */
  deviceUserCodeAttempts?: number
  /**
   * Refresh-token reuse interval, seconds (0, none): within it after a rotation, the rotated
   * refresh token may be exchanged again for a fresh token set of the same family (the one
   * issued before is superseded) as long as that earlier set's refresh token was not used yet;
   * later, or once it was used, reuse revokes the family. Per client:
   * `refresh_token_reuse_interval`.
   */
  refreshTokenReuseInterval?: number
  /**
   * The server's time, milliseconds since the epoch (default `Date.now`): token, code, device
   * code and PAR expiry, the device polling interval and `slow_down`, `iat` / `exp` of what it
   * signs, the request log. Structurally `@openrp/core`'s `Clock` (only `now` is used), e.g. a
   * testkit `ManualClock`, so a test moves time instead of waiting. `setClockOffset` adds to it.
   * With a clock given, expired records are not swept (a test that moves time still sees them),
   * except seen one-time identifiers (assertion, DPoP proof and SAML `jti`s / IDs): they are
   * forgotten by this clock, 5 minutes after they expire.
   */
  clock?: {
    /** Milliseconds since the Unix epoch, like `Date.now()`. */
    now(): number
  }
  /**
   * Makes the key pair of each signing key: one RS256 and one ES256 at start and at every
   * `control.rotateKeys()`. Default: a fresh pair from WebCrypto. Tests may hand out
   * pre-generated keys instead (`fixedKeyPairs()` of the workspace testkit): generating an
   * RSA 2048 pair costs about a quarter of a second of CPU.
   *
   * @example
   * ```ts
   * import { generateKeyPair } from 'jose'
   * // What the server does by default: a fresh, extractable pair.
   * const server = await startReferenceServer({
   *   generateKeyPair: (alg) => generateKeyPair(alg, { extractable: true }),
   * })
   * ```
   */
  generateKeyPair?: (
    alg: 'RS256' | 'ES256',
  ) => Promise<{ privateKey: JoseCryptoKey; publicKey: JoseCryptoKey }>
  /** Expose POST /__control for browser tests (never on by default). */
  enableControlEndpoint?: boolean
  /**
   * The CA certificates (PEM) trusted for `tls_client_auth`, the PKI method of mutual-TLS client
   * authentication (RFC 8705 §2.1): a client certificate authenticates only when its chain
   * validates to one of them (and it is within its validity), before its subject DN or SAN
   * dNSName is compared. Without it no chain is trusted and `tls_client_auth` authenticates no
   * one; `self_signed_tls_client_auth` does not use it. A self-signed certificate from
   * `createSelfSignedCertificate` is a CA, so it may be given as its own trust anchor.
   *
   * @example
   * ```ts
   * const ca = createSelfSignedCertificate({ commonName: 'Test CA' })
   * const daemon = issueCertificate(ca, { commonName: 'daemon' }) // CN=daemon
   * const server = await startReferenceServer({
   *   mtlsCa: ca.cert,
   *   clients: [
   *     {
   *       client_id: 'daemon',
   *       token_endpoint_auth_method: 'tls_client_auth',
   *       tls_client_auth_subject_dn: 'CN=daemon',
   *       grant_types: ['client_credentials'],
   *       scope: 'api',
   *     },
   *   ],
   * })
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc8705#section-2.1
   */
  mtlsCa?: string | string[]
  /** Require a DPoP-Nonce on every DPoP proof (server-wide). */
  requireDpopNonce?: boolean
  /**
   * Every client must send signed request objects (JAR, RFC 9101), as if each had
   * `require_signed_request_object`; discovery then says `require_signed_request_object: true`.
   */
  requireSignedRequestObject?: boolean
  /**
   * When the RFC 9207 `iss` parameter goes into authorization responses (discovery says
   * `authorization_response_iss_parameter_supported: true` either way). `always` (default):
   * every response, errors too. `without-id-token`: only responses that carry no ID token, as
   * certified providers (node-oidc-provider) do, since the ID token's `iss` names the issuer.
   */
  authorizationResponseIss?: 'always' | 'without-id-token'
  /**
   * Grant `offline_access` (a refresh token for the code flow) without `prompt=consent`, as an
   * OP may where "other conditions" allow it (OpenID Connect Core §11). Off by default: like
   * node-oidc-provider, the server ignores `offline_access` unless the authorization request
   * has `prompt=consent` and a response type with a code.
   */
  offlineAccessWithoutConsent?: boolean
  /** Log requests to stdout (the CLI turns this on). */
  log?: boolean
  /**
   * Browser origins allowed by CORS. Defaults to the origins of every registered redirect URI
   * (so the demo SPA at DEMO_SPA_ORIGIN is allowed) and the demo TV app's DEMO_TV_ORIGIN.
   */
  corsOrigins?: string[]
  /**
   * Dynamic client registration (RFC 7591 `POST /register`, RFC 7592 `/register/<client_id>`).
   * On by default and open to anyone; `initialAccessToken` makes `POST /register` require that
   * Bearer token; `false` turns it off (no `registration_endpoint` in discovery).
   */
  registration?: { initialAccessToken?: string } | false
}

/** Fault for one endpoint's HTTP behaviour. */
export interface HttpFault {
  /** Answer with this status (and an RFC 6749-style error body) instead of the real answer. */
  status?: number
  /** Retry-After header value: seconds (`'2'`) or an HTTP-date. */
  retryAfter?: string
  /** Wait this long before answering (a hung endpoint: a large value). */
  delayMs?: number
  /** Replace the body. */
  body?: 'malformed_json' | 'html' | 'json_array' | 'oversized' | 'empty'
  /** Apply this many times, then clear itself (default: until reset). */
  times?: number
}

/** The name of an endpoint in the request log and in faults. */
export type EndpointName =
  | 'discovery'
  | 'jwks'
  | 'authorize'
  | 'par'
  | 'token'
  | 'device_authorization'
  | 'userinfo'
  | 'introspection'
  | 'revocation'
  | 'end_session'
  | 'api'
  | 'registration'

/** How to spoil ID tokens. `null` means "remove the claim". */
export interface IdTokenFaults {
  badSignature?: boolean
  /**
   * Sign with this alg instead: `none` (unsigned), `HS256` keyed with the client secret, or
   * another published alg than the client's `id_token_signed_response_alg` (RS256 / ES256).
   */
  alg?: 'none' | 'HS256' | 'RS256' | 'ES256'
  iss?: string | null
  aud?: string | string[] | null
  azp?: string | null
  sub?: string | null
  /** Seconds relative to now for exp (e.g. -60 = expired a minute ago); null removes exp. */
  expOffset?: number | null
  /** Seconds relative to now for iat (e.g. 3600 = an hour in the future); null removes iat. */
  iatOffset?: number | null
  nonce?: string | null
  atHash?: 'wrong' | null
  cHash?: 'wrong' | null
  sHash?: 'wrong' | null
  /** Omit `kid` from the header, or use one the JWKS does not have. */
  kid?: 'missing' | 'unknown'
  /** Sign with a fresh key that is not published in the JWKS. */
  unlistedKey?: boolean
  /** Seconds relative to now for auth_time; null removes it. */
  authTimeOffset?: number | null
  /** Only ID tokens issued on this channel / grant are spoiled. */
  only?: { channel?: 'authorization' | 'token'; grantType?: string }
  times?: number
}

/** Everything the server can be told to do wrong. Each key names a fault. */
export interface Faults {
  http?: Partial<Record<EndpointName, HttpFault>>
  idToken?: IdTokenFaults
  /** The front-channel response: wrong/missing state or RFC 9207 iss. */
  authorizationResponse?: { state?: 'wrong' | 'missing'; iss?: 'wrong' | 'missing'; times?: number }
  /** Discovery document with another `issuer`. */
  discoveryIssuer?: string
  /**
   * Extra headers on every HTML page the provider serves (login, consent, device, logout), e.g.
   * `{ 'Cross-Origin-Opener-Policy': 'same-origin' }`, which severs a login popup from its opener.
   */
  pageHeaders?: Record<string, string>
  /** Introspection answers (RFC 7662). */
  introspection?: {
    /** Claims sent beside `active: false` for an inactive token (RFC 7662 §2.2: SHOULD NOT). */
    inactiveClaims?: Record<string, unknown>
    /**
     * Answer as a JWT (`application/token-introspection+jwt`, RFC 9701) carrying these token
     * claims, signed with a key the JWKS does not have, although the client asked for JSON.
     */
    forgedJwt?: Record<string, unknown>
  }
  /** Token endpoint JSON changes. */
  tokenResponse?: {
    /** Omit expires_in. */
    omitExpiresIn?: boolean
    /** Omit the id_token (a provider that drops it although the request asked for `openid`). */
    omitIdToken?: boolean
    /** Omit issued_token_type (RFC 8693 §2.2.1 requires it in a token exchange answer). */
    omitIssuedTokenType?: boolean
    /** Omit scope (RFC 6749 §5.1 allows it when the scope granted is the one requested). */
    omitScope?: boolean
    /**
     * Answer `token_type: Bearer` although a DPoP proof was sent: an unbound token, or for the
     * code and refresh grants (whose code / refresh token may be key-bound) the bound one.
     */
    dropDpopBinding?: boolean
    /** Replace expires_in with this raw value. */
    expiresIn?: unknown
    /** Replace token_type with this raw value (e.g. `bearer` or `dpop` in lower case). */
    tokenType?: string
    /** Replace access_token with this raw value (e.g. `''`, or a number). */
    accessToken?: unknown
    /** Add a `padding` member of this many bytes after the real members (an oversized answer). */
    padBytes?: number
    /** Cut this many characters off the end of the real JSON (a truncated answer). */
    truncateBy?: number
    times?: number
  }
  userinfo?: {
    sub?: string
    /** Answer a signed JWT (RS256 unless the client registered another alg). */
    signed?: boolean
    badSignature?: boolean
    /** Answer plain JSON even to a client registered for signed userinfo. */
    plain?: boolean
    /** Sign with this alg instead of the client's registered one. */
    alg?: 'RS256' | 'ES256'
    times?: number
  }
  /**
   * The JSON of successful registration answers (`POST /register`, RFC 7592 read and update):
   * `omit` drops members (e.g. `client_id`), `set` adds or replaces members with raw values.
   */
  registrationResponse?: { omit?: string[]; set?: Record<string, unknown>; times?: number }
  device?: {
    /**
     * Answer `slow_down` to this many polls, whatever their spacing; each one adds 5 s to the
     * interval the server then enforces, as a `slow_down` it earned does (RFC 8628 §3.5).
     */
    slowDown?: number
    /** Raw `interval` in the device authorization response (e.g. 0, '5', or undefined to drop). */
    interval?: unknown
    expiresIn?: unknown
    /** Raw `verification_uri_complete` (e.g. one too long for a QR code, or undefined to drop). */
    verificationUriComplete?: unknown
    /** Raw `verification_uri` (e.g. a `javascript:` URI). */
    verificationUri?: unknown
    /** Raw `user_code` (e.g. with terminal escape sequences); the device is still approved by its own code. */
    userCode?: unknown
  }
  dpop?: {
    /** Demand a fresh nonce on every request (use_dpop_nonce each time a proof has an old one). */
    nonceEveryRequest?: boolean
    /** Send a new DPoP-Nonce with every successful response. */
    rotateNonce?: boolean
    /**
     * Answer every DPoP proof, whatever its nonce, with `use_dpop_nonce` and a new DPoP-Nonce
     * (token, userinfo and resource requests): a client must give up after one retry.
     */
    rejectEveryNonce?: boolean
  }
}

/** One request that reached the server. Secrets and tokens are not recorded. */
export interface RequestRecord {
  time: number
  method: string
  path: string
  endpoint: EndpointName | 'login' | 'consent' | 'device' | 'control' | 'other'
  status: number
  clientId?: string
  grantType?: string
  /** For the device endpoints: the user_code involved (not a secret). */
  userCode?: string
  /** `true` when the request came to the mutual-TLS listener (`mtls_endpoint_aliases`). */
  mtls?: true
}

/**
 * Which requests {@link ServerControl.hold} holds, and where.
 *
 * @example
 * ```ts
 * // The refresh token is rotated, the answer waits: a client timeout "after the provider
 * // processed it".
 * const options: HoldOptions = { endpoint: 'token', grantType: 'refresh_token', times: 1 }
 * const hold = server.control.hold(options)
 * ```
 */
export interface HoldOptions {
  /** The endpoint whose requests wait. */
  endpoint: EndpointName
  /** Only token requests of this `grant_type` (e.g. `refresh_token`). */
  grantType?: string
  /**
   * `response` (default): the handler runs (tokens are issued, a refresh token is rotated, a
   * device code is spent) and its answer waits; `request`: the request waits before anything
   * is processed.
   */
  stage?: 'request' | 'response'
  /** Hold at most this many requests; later ones pass (default: every one until released). */
  times?: number
}

/**
 * A hold made by {@link ServerControl.hold}: the requests it caught wait until released.
 *
 * @example
 * ```ts
 * const hold = server.control.hold({ endpoint: 'token', grantType: 'refresh_token' })
 * const pending = manager.getAccessToken() // the refresh is sent, the provider rotates...
 * await hold.waitUntilHeld()               // ...and its answer is held here
 * // the race: do what must happen while the answer is on its way
 * hold.release()
 * await pending
 * ```
 */
export interface Hold {
  /** Requests waiting now. */
  readonly held: number
  /** Requests caught so far (released ones included). */
  readonly total: number
  /** False once released. */
  readonly active: boolean
  /**
   * Resolves once `count` requests (default 1) have been caught in all; with `timeoutMs`,
   * rejects if they have not been caught by then.
   */
  waitUntilHeld(count?: number, options?: { timeoutMs?: number }): Promise<void>
  /** Lets the oldest held request go on; the hold stays. False when none was held. */
  releaseNext(): boolean
  /** Lets every held request go on and ends the hold: later requests pass. */
  release(): void
}

/** Test controls of a running reference server: faults, key rotation, the request log, device approvals. */
export interface ServerControl {
  /** Replaces the active faults. */
  setFaults(faults: Faults): void
  /** Clears the faults and releases every {@link ServerControl.hold}. */
  resetFaults(): void
  /**
   * Holds the requests to an endpoint (before or after the handler ran) until the test releases
   * them: a race put exactly where it must happen, without timing. `close()` releases too.
   */
  hold(options: HoldOptions): Hold
  /** Adds a new signing key pair per alg and makes it current; old keys stay published. */
  rotateKeys(options?: { dropOld?: boolean }): Promise<void>
  /** What reached the server, oldest first; filter by endpoint and/or grant type. */
  requests(filter?: { endpoint?: RequestRecord['endpoint']; grantType?: string }): RequestRecord[]
  /** Empties the request log. */
  clearRequests(): void
  /** Approves a pending device authorization as `username` (default: the first user). */
  approveDevice(userCode: string, username?: string): void
  /** Denies the pending device authorization of `userCode` (the device then gets `access_denied`). */
  denyDevice(userCode: string): void
  /** Moves the server's clock (seconds); tokens issued later carry shifted iat/exp. */
  setClockOffset(seconds: number): void
}

/** A running reference server: its issuer, port, test controls and `close()`. */
export interface ReferenceServer {
  issuer: string
  port: number
  /**
   * Base URL of the mutual-TLS listener (RFC 8705 §5), `https://127.0.0.1:<port>`: the
   * `mtls_endpoint_aliases` of the token, revocation, introspection, userinfo, PAR and device
   * authorization endpoints, and the demo API.
   */
  mtlsUrl: string
  /** The mutual-TLS listener's self-signed certificate (PEM), to trust it (e.g. `mtlsFetch({ ca })`). */
  mtlsCertificate: string
  /** Stops the server (both listeners when mutual TLS is on). */
  close(): Promise<void>
  control: ServerControl
}
