/**
 * Client options (camelCase) and their resolved defaults.
 *
 * @module
 */
import { type Clock, systemClock } from './clock.ts'
import { InvalidArgumentError } from './errors.ts'
import { nonNegative, positive } from './internal/number-options.ts'
import type { Jwk, WebCryptoKey, WebCryptoKeyPair } from './key-types.ts'

/** RFC 7591 `token_endpoint_auth_method` values openrp speaks. */
export type ClientAuthMethod =
  | 'none'
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'client_secret_jwt'
  | 'private_key_jwt'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth'

/**
 * Retry policy for idempotent requests (discovery, JWKS, userinfo, introspection, revocation,
 * device authorization, client credentials). Each retry is a new request.
 */
export interface RetryOptions {
  /** Retries after the first attempt (default 2; 0 disables). */
  maxRetries?: number
  /** First backoff delay in ms, doubled each retry (default 250). */
  baseDelayMs?: number
  /**
   * Longest wait between attempts (default 10 000 ms). A longer Retry-After ends the retries:
   * the provider's error is thrown at once, with `retryAfterMs`.
   */
  maxDelayMs?: number
}

/** Options of {@link Client} and {@link discover}. */
export interface ClientOptions {
  clientId: string
  clientSecret?: string
  /**
   * Token endpoint authentication. Defaults to `client_secret_basic` when `clientSecret` is
   * set, `private_key_jwt` when `privateKey` is set, `none` otherwise.
   *
   * `tls_client_auth` and `self_signed_tls_client_auth` (RFC 8705 §2) authenticate with the
   * client certificate of the TLS connection: core cannot open TLS connections itself, so the
   * certificate comes with `fetch` (in Node, `mtlsFetch()` of `@openrp/node`); without a
   * custom `fetch` the client is refused with `INVALID_ARGUMENT`. Requests then go to the
   * provider's `mtls_endpoint_aliases` (see `mtlsEndpointAliases`).
   * @see https://www.rfc-editor.org/rfc/rfc8705#section-2
   */
  clientAuth?: ClientAuthMethod
  /**
   * For `private_key_jwt` and `requestObject`: a private CryptoKey or a private JWK (its `kid` is
   * used).
   */
  privateKey?: WebCryptoKey | Jwk | { key: WebCryptoKey; kid?: string }
  redirectUri?: string
  postLogoutRedirectUri?: string
  /** Default scope of authorization requests (default `openid`). */
  scope?: string
  /** Sender-constrain tokens with DPoP (RFC 9449): `true` generates a non-extractable ES256 pair. */
  dpop?: boolean | WebCryptoKeyPair
  /** Use PAR (RFC 9126) for authorization requests; also used when the provider requires it. */
  par?: boolean
  /**
   * Send every authorization request as a request object (JAR, RFC 9101) signed with
   * `privateKey`, whatever `clientAuth` is: the URL (or the pushed request, with PAR) carries only
   * `client_id` and `request`. The JWS alg is the key's (ES256 for a P-256 key, RS256 for an
   * RSASSA-PKCS1-v1_5 SHA-256 key...). Needs `privateKey` (`INVALID_ARGUMENT` otherwise) and a
   * core made by createClientCore or `new Client`.
   * @see https://www.rfc-editor.org/rfc/rfc9101
   */
  requestObject?: boolean
  /**
   * Send token, revocation, introspection, userinfo, PAR and device authorization requests to
   * the provider's `mtls_endpoint_aliases` (RFC 8705 §5) when it publishes them; endpoints
   * without an alias, and providers without aliases, keep their normal URLs. Discovery, JWKS
   * and the authorization endpoint never change. On by itself with `tls_client_auth` and
   * `self_signed_tls_client_auth`; set it for certificate-bound access tokens without mTLS
   * client authentication (e.g. a public client, RFC 8705 §4), with a `fetch` that presents
   * the certificate.
   * @see https://www.rfc-editor.org/rfc/rfc8705#section-5
   */
  mtlsEndpointAliases?: boolean
  /** Allowed clock difference with the provider, seconds (default 30). */
  clockToleranceSec?: number
  /** Timeout of each call (all attempts together), ms (default 30 000). */
  timeoutMs?: number
  /** A fetch implementation (default `globalThis.fetch`). */
  fetch?: typeof fetch
  /** Largest response body read, bytes (default 1 MiB). */
  maxResponseBytes?: number
  /** Retry policy of idempotent requests. Code and refresh-token POSTs are never retried. */
  retry?: RetryOptions
  /**
   * Oldest acceptable ID token `iat`, seconds before now (default 600 = 10 minutes). A
   * freshly issued ID token older than this is refused with `ID_TOKEN_IAT_INVALID`.
   */
  idTokenMaxAgeSec?: number
  /** Minimum time between two JWKS refetches for unknown `kid`s, ms (default 30 000). */
  jwksCooldownMs?: number
  /** Age after which the cached JWKS is fetched again before use, ms (default 600 000). */
  jwksMaxAgeMs?: number
  /**
   * The alg this client registered for its ID tokens (`id_token_signed_response_alg`, e.g.
   * `ES256` or `PS256` for FAPI 2.0). When set, ID tokens signed with any other alg are refused
   * with `JWT_ALG_NOT_ALLOWED`; by default every alg the provider advertises (except `none`
   * and HMAC) is accepted.
   */
  idTokenSignedResponseAlg?: string
  /**
   * The alg this client registered for its UserInfo responses (`userinfo_signed_response_alg`,
   * OpenID Connect Registration §2). When set, userinfo must answer a JWT signed with exactly
   * this alg: a plain JSON answer is refused with `USERINFO_JWT_EXPECTED`, another alg with
   * `JWT_ALG_NOT_ALLOWED`. By default both JSON and signed answers are accepted, signed ones
   * with any alg the provider advertises (except `none` and HMAC).
   * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse
   */
  userinfoSignedResponseAlg?: string
  /**
   * Allows plain `http:` endpoints on non-loopback hosts. Never use this in production: tokens
   * and codes travel unencrypted. Loopback issuers (127.0.0.1, ::1, localhost) never need it.
   */
  dangerouslyAllowInsecureHttp?: boolean
  /**
   * Where time comes from (default {@link systemClock}): expiry, polling intervals, backoff and
   * timeouts read it, so tests can drive time instead of waiting for it.
   */
  clock?: Clock
}

/** {@link ClientOptions} with every default applied. */
export interface ResolvedOptions {
  clientId: string
  clientSecret: string | undefined
  clientAuth: ClientAuthMethod
  privateKey: ClientOptions['privateKey']
  redirectUri: string | undefined
  postLogoutRedirectUri: string | undefined
  scope: string
  dpop: boolean | WebCryptoKeyPair
  par: boolean
  /** Whether requests use the provider's `mtls_endpoint_aliases` (RFC 8705 §5). */
  mtlsEndpointAliases: boolean
  clockToleranceSec: number
  timeoutMs: number
  /** The fetch implementation every request goes through. */
  fetch: typeof fetch
  maxResponseBytes: number
  retry: Required<RetryOptions>
  idTokenMaxAgeSec: number
  jwksCooldownMs: number
  jwksMaxAgeMs: number
  idTokenSignedResponseAlg: string | undefined
  userinfoSignedResponseAlg: string | undefined
  dangerouslyAllowInsecureHttp: boolean
  clock: Clock
}

/** The defaults of {@link ClientOptions} that are numbers (timeouts, tolerances, sizes, retries). */
export const DEFAULTS = {
  clockToleranceSec: 30,
  timeoutMs: 30_000,
  maxResponseBytes: 1024 * 1024,
  idTokenMaxAgeSec: 600,
  jwksCooldownMs: 30_000,
  jwksMaxAgeMs: 600_000,
  retry: { maxRetries: 2, baseDelayMs: 250, maxDelayMs: 10_000 },
} as const

/** Checks options and fills in defaults; throws InvalidArgumentError on unusable input. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  checkClientId(options)
  return resolveWith(options, resolveClientAuth(options))
}

/**
 * {@link resolveOptions} for a public client (`clientAuth` `none`): throws InvalidArgumentError
 * when the options name a secret, a private key or another authentication method. A bundle that
 * resolves only public-client options carries none of the client authentication choices.
 *
 * @example
 * ```ts
 * const resolved = resolvePublicClientOptions({ clientId: 'spa', redirectUri })
 * resolved.clientAuth // 'none'
 * ```
 */
export function resolvePublicClientOptions(options: ClientOptions): ResolvedOptions {
  checkClientId(options)
  if (
    options.clientSecret !== undefined ||
    options.privateKey !== undefined ||
    (options.clientAuth ?? 'none') !== 'none'
  )
    throw new InvalidArgumentError(
      'A public client (clientAuth "none") takes no clientSecret or privateKey: use createClientCore()',
    )
  return resolveWith(options, 'none')
}

function checkClientId(options: ClientOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options must be an object')
  if (typeof options.clientId !== 'string' || options.clientId === '')
    throw new InvalidArgumentError('options.clientId must be a non-empty string')
}

/** The client authentication method the options ask for, checked against what it needs. */
function resolveClientAuth(options: ClientOptions): ClientAuthMethod {
  const clientAuth =
    options.clientAuth ??
    (options.clientSecret !== undefined
      ? 'client_secret_basic'
      : options.privateKey !== undefined
        ? 'private_key_jwt'
        : 'none')
  const methods: ClientAuthMethod[] = [
    'none',
    'client_secret_basic',
    'client_secret_post',
    'client_secret_jwt',
    'private_key_jwt',
    'tls_client_auth',
    'self_signed_tls_client_auth',
  ]
  if (!methods.includes(clientAuth))
    throw new InvalidArgumentError(`options.clientAuth must be one of ${methods.join(', ')}`)
  // An empty secret is no secret (and oauth4webapi would refuse it with a bare TypeError).
  if (
    clientAuth.startsWith('client_secret') &&
    (typeof options.clientSecret !== 'string' || options.clientSecret === '')
  )
    throw new InvalidArgumentError(
      `options.clientSecret is required for ${clientAuth} (a non-empty string)`,
    )
  if (clientAuth === 'private_key_jwt' && options.privateKey === undefined)
    throw new InvalidArgumentError('options.privateKey is required for private_key_jwt')
  return clientAuth
}

/** The options with every default applied, for a client authenticating with `clientAuth`. */
function resolveWith(options: ClientOptions, clientAuth: ClientAuthMethod): ResolvedOptions {
  const fetchImpl = options.fetch ?? globalThis.fetch
  if (typeof fetchImpl !== 'function')
    throw new InvalidArgumentError('no fetch implementation: pass options.fetch')
  return {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    clientAuth,
    privateKey: options.privateKey,
    redirectUri: optionalString(options.redirectUri, 'redirectUri'),
    postLogoutRedirectUri: optionalString(options.postLogoutRedirectUri, 'postLogoutRedirectUri'),
    scope: optionalString(options.scope, 'scope') ?? 'openid',
    dpop: options.dpop ?? false,
    par: options.par === true,
    mtlsEndpointAliases: options.mtlsEndpointAliases === true || clientAuth.includes('tls_'),
    clockToleranceSec: nonNegative(
      options.clockToleranceSec,
      'clockToleranceSec',
      DEFAULTS.clockToleranceSec,
    ),
    timeoutMs: positive(options.timeoutMs, 'timeoutMs', DEFAULTS.timeoutMs),
    fetch: fetchImpl,
    maxResponseBytes: positive(
      options.maxResponseBytes,
      'maxResponseBytes',
      DEFAULTS.maxResponseBytes,
    ),
    retry: {
      maxRetries: nonNegative(
        options.retry?.maxRetries,
        'retry.maxRetries',
        DEFAULTS.retry.maxRetries,
      ),
      baseDelayMs: nonNegative(
        options.retry?.baseDelayMs,
        'retry.baseDelayMs',
        DEFAULTS.retry.baseDelayMs,
      ),
      maxDelayMs: nonNegative(
        options.retry?.maxDelayMs,
        'retry.maxDelayMs',
        DEFAULTS.retry.maxDelayMs,
      ),
    },
    idTokenMaxAgeSec: positive(
      options.idTokenMaxAgeSec,
      'idTokenMaxAgeSec',
      DEFAULTS.idTokenMaxAgeSec,
    ),
    jwksCooldownMs: nonNegative(options.jwksCooldownMs, 'jwksCooldownMs', DEFAULTS.jwksCooldownMs),
    jwksMaxAgeMs: positive(options.jwksMaxAgeMs, 'jwksMaxAgeMs', DEFAULTS.jwksMaxAgeMs),
    idTokenSignedResponseAlg: asymmetricAlg(
      options.idTokenSignedResponseAlg,
      'idTokenSignedResponseAlg',
    ),
    userinfoSignedResponseAlg: asymmetricAlg(
      options.userinfoSignedResponseAlg,
      'userinfoSignedResponseAlg',
    ),
    dangerouslyAllowInsecureHttp: options.dangerouslyAllowInsecureHttp === true,
    clock: options.clock ?? systemClock,
  }
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new InvalidArgumentError(`options.${name} must be a string`)
  return value
}

function asymmetricAlg(value: unknown, name: string): string | undefined {
  const alg = optionalString(value, name)
  if (alg !== undefined && (alg === '' || alg === 'none' || alg.startsWith('HS')))
    throw new InvalidArgumentError(
      `options.${name} must be an asymmetric JWS alg (not none or HMAC)`,
    )
  return alg
}
