/**
 * Every error openrp throws is an {@link OpenRpError} with a stable `code`. Branch on `code`
 * (or `instanceof`), never on `message`: messages are for people and may change.
 *
 * Messages never contain tokens, codes, verifiers or secrets.
 *
 * @module
 */

/**
 * Every `code` an openrp error can carry, for `switch` statements, tests and reports. Each error
 * class narrows `code` to its own: {@link OAuthErrorCode}, {@link ValidationErrorCode}, one code
 * for each of the others.
 *
 * @example
 * ```ts
 * const known = (code: string): code is ErrorCode => (ERROR_CODES as readonly string[]).includes(code)
 * ```
 */
export const ERROR_CODES = [
  // the provider answered with an RFC 6749 error (OAuthError)
  'OAUTH_ERROR',
  'INTERACTION_REQUIRED',
  'ACCESS_DENIED',
  'DEVICE_CODE_EXPIRED',
  'INVALID_GRANT',
  // transport
  'NETWORK_ERROR',
  'TIMEOUT',
  'ABORTED',
  'HTTP_ERROR',
  'INVALID_RESPONSE',
  'RESPONSE_TOO_LARGE',
  // caller mistakes
  'INVALID_ARGUMENT',
  'INSECURE_ENDPOINT',
  'UNSUPPORTED',
  // configuration and discovery
  'DISCOVERY_ISSUER_MISMATCH',
  'METADATA_INVALID',
  'REQUEST_OBJECT_REQUIRED',
  'REQUEST_OBJECT_ALG_NOT_SUPPORTED',
  // authorization response
  'STATE_MISMATCH',
  'STATE_MISSING',
  'ISS_MISMATCH',
  'ISS_MISSING',
  'AUTHORIZATION_RESPONSE_INVALID',
  // JWT / ID token
  'JWT_MALFORMED',
  'JWT_SIGNATURE_INVALID',
  'JWT_ALG_NOT_ALLOWED',
  'JWKS_NO_MATCHING_KEY',
  'JWKS_MULTIPLE_MATCHING_KEYS',
  'JWKS_INVALID',
  'ID_TOKEN_CLAIM_MISSING',
  'ID_TOKEN_ISS_MISMATCH',
  'ID_TOKEN_AUD_MISMATCH',
  'ID_TOKEN_AZP_MISMATCH',
  'ID_TOKEN_EXPIRED',
  'ID_TOKEN_IAT_INVALID',
  'ID_TOKEN_NONCE_MISMATCH',
  'ID_TOKEN_AT_HASH_MISMATCH',
  'ID_TOKEN_C_HASH_MISMATCH',
  'ID_TOKEN_S_HASH_MISMATCH',
  'ID_TOKEN_AUTH_TIME_INVALID',
  'ID_TOKEN_SUB_MISMATCH',
  'ID_TOKEN_ISS_CHANGED',
  // back-channel logout tokens
  'LOGOUT_TOKEN_INVALID',
  'LOGOUT_TOKEN_REPLAYED',
  // token endpoint responses
  'TOKEN_RESPONSE_INVALID',
  'DPOP_BINDING_MISSING',
  'DPOP_NONCE_LOOP',
  'DPOP_KEY_MISMATCH',
  // userinfo
  'USERINFO_SUB_MISMATCH',
  'USERINFO_INVALID',
  'USERINFO_JWT_EXPECTED',
  // state layers
  'STORE_ERROR',
  'LOCK_TIMEOUT',
  'LOCK_LOST',
  'SESSION_EXPIRED',
  'LOGIN_REQUIRED',
  'POPUP_BLOCKED',
  'POPUP_CLOSED',
  'POPUP_TIMEOUT',
  'SILENT_RENEW_TIMEOUT',
  'REDIRECT_NOT_ALLOWED',
  // environment: an optional peer dependency a feature needs is not installed
  'DEPENDENCY_MISSING',
] as const

/** Every `code` an openrp error can carry ({@link ERROR_CODES}). */
export type ErrorCode = (typeof ERROR_CODES)[number]

/** The codes of {@link OAuthError}: an RFC 6749 `error` with a code of its own, else `OAUTH_ERROR`. */
export type OAuthErrorCode =
  | 'OAUTH_ERROR'
  | 'INTERACTION_REQUIRED'
  | 'ACCESS_DENIED'
  | 'DEVICE_CODE_EXPIRED'
  | 'INVALID_GRANT'

/**
 * The codes of {@link ValidationError}: a response, token, configuration or stored value failed
 * a check. Every code except those of the provider's errors ({@link OAuthErrorCode}), the
 * transport, the state layers and `UNSUPPORTED`.
 */
export type ValidationErrorCode = Exclude<
  ErrorCode,
  | OAuthErrorCode
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'HTTP_ERROR'
  | 'UNSUPPORTED'
  | 'STORE_ERROR'
  | 'LOCK_TIMEOUT'
  | 'LOCK_LOST'
  | 'SESSION_EXPIRED'
  | 'LOGIN_REQUIRED'
  | 'POPUP_BLOCKED'
  | 'POPUP_CLOSED'
  | 'POPUP_TIMEOUT'
  | 'SILENT_RENEW_TIMEOUT'
  | 'REDIRECT_NOT_ALLOWED'
  | 'DEPENDENCY_MISSING'
>

/**
 * Base class of every openrp error; `C` is the codes its subclass can carry.
 *
 * @example
 * ```ts
 * try { await client.refresh(tokens) } catch (error) {
 *   if (error instanceof OpenRpError && error.code === 'INVALID_GRANT') signOut()
 * }
 * ```
 */
export class OpenRpError<C extends ErrorCode = ErrorCode> extends Error {
  // Members are declared, not defined as class fields: each constructor assigns its own.
  declare readonly code: C
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** The provider answered with an RFC 6749 §5.2 / §4.1.2.1 error. */
export class OAuthError<C extends OAuthErrorCode = OAuthErrorCode> extends OpenRpError<C> {
  /** The `error` parameter, e.g. `invalid_grant`. */
  declare readonly error: string
  declare readonly errorDescription: string | undefined
  declare readonly errorUri: string | undefined
  /** HTTP status of the response, when it came from an endpoint (not the front channel). */
  declare readonly status: number | undefined
  /**
   * The pause the provider asked for in a `Retry-After` header (ms), when it sent one. A request
   * that may be retried is not retried when this exceeds `retry.maxDelayMs`: it fails at once,
   * and the caller decides when to try again.
   */
  declare readonly retryAfterMs: number | undefined
  constructor(
    init: {
      error: string
      errorDescription?: string
      errorUri?: string
      status?: number
      retryAfterMs?: number
    },
    code: C = 'OAUTH_ERROR' as C,
  ) {
    super(
      code,
      `The provider answered "${init.error}"${init.errorDescription ? `: ${init.errorDescription}` : ''}`,
    )
    this.error = init.error
    this.errorDescription = init.errorDescription
    this.errorUri = init.errorUri
    this.status = init.status
    this.retryAfterMs = init.retryAfterMs
  }
}

/**
 * The user must interact with the provider (`login_required`, `consent_required`,
 * `interaction_required`, `account_selection_required`): a silent request cannot succeed.
 */
export class InteractionRequiredError extends OAuthError<'INTERACTION_REQUIRED'> {
  constructor(init: {
    error: string
    errorDescription?: string
    errorUri?: string
    status?: number
    retryAfterMs?: number
  }) {
    super(init, 'INTERACTION_REQUIRED')
  }
}

/** A response or token failed a check. `code` names the check. */
export class ValidationError extends OpenRpError<ValidationErrorCode> {}

/** The request could not be sent or the connection failed. */
export class NetworkError extends OpenRpError<'NETWORK_ERROR'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NETWORK_ERROR', message, options)
  }
}

/** An endpoint answered with an HTTP status it should not have, and no RFC 6749 error body. */
export class HttpError extends OpenRpError<'HTTP_ERROR'> {
  declare readonly status: number
  /** The pause the provider asked for in a `Retry-After` header (ms), as on {@link OAuthError}. */
  declare readonly retryAfterMs: number | undefined
  constructor(
    status: number,
    message = `The endpoint answered with unexpected HTTP status ${status}`,
    options: { retryAfterMs?: number | undefined } = {},
  ) {
    super('HTTP_ERROR', message)
    this.status = status
    this.retryAfterMs = options.retryAfterMs
  }
}

/** The request took longer than the configured `timeoutMs`. */
export class TimeoutError extends OpenRpError<'TIMEOUT'> {
  declare readonly timeoutMs: number
  constructor(timeoutMs: number, what = 'The request') {
    super('TIMEOUT', `${what} did not complete within ${timeoutMs} ms`)
    this.timeoutMs = timeoutMs
  }
}

/** The caller's AbortSignal fired. */
export class AbortError extends OpenRpError<'ABORTED'> {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('ABORTED', message, options)
  }
}

/** A Store could not read or write; the previous value is left as it was. */
export class StoreError extends OpenRpError<'STORE_ERROR'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_ERROR', message, options)
  }
}

/** A Lock could not be taken within its timeout. */
export class LockTimeoutError extends OpenRpError<'LOCK_TIMEOUT'> {
  constructor(name: string, timeoutMs: number) {
    super('LOCK_TIMEOUT', `Lock "${name}" was not acquired within ${timeoutMs} ms`)
  }
}

/**
 * A lease-based Lock (RedisLock, FileLock) can no longer prove that it holds its lock alone:
 * the lease was taken by another holder or removed, or could not be renewed for a whole lease.
 * It is the `reason` of the aborted `LockLease.signal`, and what a caller that gave up because
 * of it rejects with.
 */
export class LockLostError extends OpenRpError<'LOCK_LOST'> {
  constructor(name: string, reason = 'its lease was lost', options?: { cause?: unknown }) {
    super('LOCK_LOST', `Lock "${name}" is no longer held: ${reason}`, options)
  }
}

/** The caller passed something unusable (a programming error, not a provider fault). */
export class InvalidArgumentError extends OpenRpError<'INVALID_ARGUMENT'> {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message)
  }
}

/**
 * Narrowing helper: whether `error` is an openrp error, with `code` when given.
 *
 * @example
 * ```ts
 * if (isOpenRpError(error, 'TIMEOUT')) retryLater()
 * ```
 */
export function isOpenRpError<C extends ErrorCode = ErrorCode>(
  error: unknown,
  code?: C,
): error is OpenRpError<C> {
  return error instanceof OpenRpError && (code === undefined || error.code === code)
}
