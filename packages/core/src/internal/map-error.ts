/**
 * The one place lower-layer errors (oauth4webapi, jose, fetch, TypeErrors) become openrp errors
 * with a stable `code`. Two entries: {@link mapError} knows jose's codes too, for the modules
 * that verify with jose (they map their own errors); {@link mapErrorAsync}, which every
 * protocol operation goes through, knows oauth4webapi's only, so a bundle without jose carries
 * none of jose's vocabulary either.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import {
  type OAuthErrorCode,
  type ValidationErrorCode,
  HttpError,
  InteractionRequiredError,
  InvalidArgumentError,
  OAuthError,
  OpenRpError,
  ValidationError,
} from '../errors.ts'
import { isJsonObject } from './json-object.ts'
import { parseRetryAfter } from './retry.ts'
import { isWebObject } from './web-object.ts'

/** Where the error happened; picks the code of "the response is not what it should be". */
export type ErrorContext =
  | 'discovery'
  | 'jwks'
  | 'authorization'
  | 'token'
  | 'userinfo'
  | 'introspection'
  | 'revocation'
  | 'device_authorization'
  | 'par'
  | 'resource'
  | 'id_token'
  | 'logout_token'
  | 'registration'

const INTERACTION_ERRORS = new Set([
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
])

/** `error` values with a code of their own (the rest are `OAUTH_ERROR`). */
const OAUTH_CODES: Record<string, OAuthErrorCode> = {
  access_denied: 'ACCESS_DENIED',
  expired_token: 'DEVICE_CODE_EXPIRED',
  invalid_grant: 'INVALID_GRANT',
}

/** The code of "the response is not what it should be", per context. */
const INVALID_RESPONSE_CODES: Partial<Record<ErrorContext, ValidationErrorCode>> = {
  token: 'TOKEN_RESPONSE_INVALID',
  userinfo: 'USERINFO_INVALID',
  discovery: 'METADATA_INVALID',
  jwks: 'JWKS_INVALID',
  authorization: 'AUTHORIZATION_RESPONSE_INVALID',
  logout_token: 'LOGOUT_TOKEN_INVALID',
  id_token: 'JWT_MALFORMED',
}

/** oauth4webapi claim names (JWT_CLAIM_COMPARISON, JWT_TIMESTAMP_CHECK) to codes. */
const CLAIM_CODES: Record<string, ValidationErrorCode> = {
  iss: 'ID_TOKEN_ISS_MISMATCH',
  aud: 'ID_TOKEN_AUD_MISMATCH',
  azp: 'ID_TOKEN_AZP_MISMATCH',
  nonce: 'ID_TOKEN_NONCE_MISMATCH',
  exp: 'ID_TOKEN_EXPIRED',
  iat: 'ID_TOKEN_IAT_INVALID',
  nbf: 'ID_TOKEN_IAT_INVALID',
  auth_time: 'ID_TOKEN_AUTH_TIME_INVALID',
  at_hash: 'ID_TOKEN_AT_HASH_MISMATCH',
  c_hash: 'ID_TOKEN_C_HASH_MISMATCH',
  s_hash: 'ID_TOKEN_S_HASH_MISMATCH',
}

/** jose error codes to openrp codes (other jose errors: the context's invalid-response code). */
const JOSE_CODES: Record<string, ValidationErrorCode> = {
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'JWT_SIGNATURE_INVALID',
  ERR_JWKS_NO_MATCHING_KEY: 'JWKS_NO_MATCHING_KEY',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'JWKS_MULTIPLE_MATCHING_KEYS',
  ERR_JWKS_INVALID: 'JWKS_INVALID',
  ERR_JOSE_ALG_NOT_ALLOWED: 'JWT_ALG_NOT_ALLOWED',
  ERR_JOSE_NOT_SUPPORTED: 'JWT_ALG_NOT_ALLOWED',
  ERR_JWS_INVALID: 'JWT_MALFORMED',
  ERR_JWT_INVALID: 'JWT_MALFORMED',
  ERR_JWT_EXPIRED: 'ID_TOKEN_EXPIRED',
}

/**
 * jose's failed claim checks (`ERR_JWT_CLAIM_VALIDATION_FAILED`, `ERR_JWT_EXPIRED`), from their
 * documented `claim` and `reason`: a missing claim is `ID_TOKEN_CLAIM_MISSING`, a failed one
 * the claim's own code.
 */
function joseClaimCode(error: {
  code: string
  claim?: unknown
  reason?: unknown
}): ValidationErrorCode | undefined {
  if (error.code !== 'ERR_JWT_CLAIM_VALIDATION_FAILED' && error.code !== 'ERR_JWT_EXPIRED')
    return undefined
  if (error.reason === 'missing') return 'ID_TOKEN_CLAIM_MISSING'
  return lookup(CLAIM_CODES, error.claim)
}

/** oauth4webapi OperationProcessingError codes with a fixed openrp code. */
const PROCESSING_CODES: Record<string, ValidationErrorCode> = {
  [oauth.RESPONSE_IS_NOT_JSON]: 'INVALID_RESPONSE',
  [oauth.PARSE_ERROR]: 'INVALID_RESPONSE',
  [oauth.HTTP_REQUEST_FORBIDDEN]: 'INSECURE_ENDPOINT',
  [oauth.REQUEST_PROTOCOL_FORBIDDEN]: 'INSECURE_ENDPOINT',
  [oauth.MISSING_SERVER_METADATA]: 'METADATA_INVALID',
  [oauth.INVALID_SERVER_METADATA]: 'METADATA_INVALID',
  [oauth.KEY_SELECTION]: 'JWKS_NO_MATCHING_KEY',
  [oauth.JWT_USERINFO_EXPECTED]: 'USERINFO_JWT_EXPECTED',
}

/**
 * A failed claim comparison (JWT_CLAIM_COMPARISON, JWT_TIMESTAMP_CHECK). oauth4webapi names the
 * claim in `cause.claim`; an `aud` failure without an `expected` audience is the one for extra
 * audiences without `azp` (OpenID Connect Core §3.1.3.7 step 4), an azp failure.
 */
function claimCode(cause: ProcessingCause): ValidationErrorCode | undefined {
  if (cause.claim === 'aud' && !Object.hasOwn(cause, 'expected')) return 'ID_TOKEN_AZP_MISMATCH'
  return lookup(CLAIM_CODES, cause.claim)
}

/** The claims every ID token must carry, in the order oauth4webapi checks their presence. */
const ALWAYS_REQUIRED = ['aud', 'exp', 'iat', 'iss', 'sub']
/** Claim types oauth4webapi checks before presence. */
const CLAIM_TYPES: Record<string, (value: unknown) => boolean> = {
  exp: (v) => typeof v === 'number',
  iat: (v) => typeof v === 'number',
  nbf: (v) => typeof v === 'number',
  iss: (v) => typeof v === 'string',
  aud: (v) => typeof v === 'string' || Array.isArray(v),
}

/**
 * An INVALID_RESPONSE about a JWT's claims (`cause.claims`): told apart by the claims
 * themselves, never by the message. A JWT whose header named an algorithm outside the policy
 * (`cause.header` with the `expected` ones) is `JWT_ALG_NOT_ALLOWED`. A claim of the wrong type
 * is the context's invalid-response code; a missing `aud` / `exp` / `iat` / `iss` / `sub` (or a
 * `sub` that is no string) is `ID_TOKEN_CLAIM_MISSING`; a missing `nonce` or an `auth_time`
 * missing or of the wrong type fails that claim's own check (oauth4webapi requires `nonce` only
 * when one was sent, `auth_time` only with max_age).
 */
function invalidClaimsCode(cause: ProcessingCause): ValidationErrorCode | undefined {
  if (isJsonObject(cause.header) && cause.expected !== undefined) return 'JWT_ALG_NOT_ALLOWED'
  const claims = cause.claims
  if (!isJsonObject(claims)) return undefined
  for (const [name, valid] of Object.entries(CLAIM_TYPES)) {
    if (claims[name] !== undefined && !valid(claims[name])) return undefined
  }
  if (ALWAYS_REQUIRED.some((name) => claims[name] === undefined)) return 'ID_TOKEN_CLAIM_MISSING'
  if (typeof claims.sub !== 'string') return 'ID_TOKEN_CLAIM_MISSING'
  if (claims.auth_time !== undefined && typeof claims.auth_time !== 'number')
    return 'ID_TOKEN_AUTH_TIME_INVALID'
  if (claims.nonce === undefined) return 'ID_TOKEN_NONCE_MISMATCH'
  if (claims.auth_time === undefined) return 'ID_TOKEN_AUTH_TIME_INVALID'
  return undefined
}

/** What oauth4webapi puts in the `cause` of an OperationProcessingError (documented fields). */
interface ProcessingCause {
  claim?: unknown
  claims?: unknown
  attribute?: unknown
  header?: unknown
  expected?: unknown
}

/** oauth4webapi JSON_ATTRIBUTE_COMPARISON attributes with a code of their own. */
const ATTRIBUTE_CODES: Record<string, ValidationErrorCode> = {
  issuer: 'DISCOVERY_ISSUER_MISMATCH',
  sub: 'USERINFO_SUB_MISMATCH',
}

/** `table[key]` when `key` is the table's own (never an Object.prototype member). */
function lookup<C extends string>(table: Record<string, C>, key: unknown): C | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined
}

/** Builds the openrp error for an RFC 6749 error response. */
export function oauthError(init: {
  error: string
  errorDescription?: string | undefined
  errorUri?: string | undefined
  status?: number | undefined
  retryAfterMs?: number | undefined
}): OAuthError {
  if (INTERACTION_ERRORS.has(init.error)) return new InteractionRequiredError(init)
  return new OAuthError(init, lookup(OAUTH_CODES, init.error))
}

function invalidResponseCode(context: ErrorContext): ValidationErrorCode {
  return INVALID_RESPONSE_CODES[context] ?? 'INVALID_RESPONSE'
}

/**
 * The pause a response's `Retry-After` header asks for (ms), if it has one; an HTTP-date counts
 * from `now` (the client's clock, where the caller has one).
 */
function retryAfterOf(response: unknown, now: number): number | undefined {
  if (!isWebObject(response, 'Response')) return undefined
  return parseRetryAfter(response.headers.get('retry-after'), now)
}

/** The error for an unexpected HTTP status without an RFC 6749 error body. */
function httpError(response: unknown, now: number): HttpError {
  if (!isWebObject(response, 'Response')) return new HttpError(0)
  return new HttpError(response.status, undefined, { retryAfterMs: retryAfterOf(response, now) })
}

/** The RFC 6749 error in a response body, if it has one. */
async function bodyError(
  response: Response,
  status: number,
  now: number,
): Promise<OAuthError | undefined> {
  const body = await response
    .clone()
    .json()
    .catch(() => undefined)
  if (typeof body?.error !== 'string') return undefined
  return oauthError({
    error: body.error,
    errorDescription:
      typeof body.error_description === 'string' ? body.error_description : undefined,
    status,
    retryAfterMs: retryAfterOf(response, now),
  })
}

/**
 * What `operation()` maps with: {@link mapEngineError}, but first reads the body of a
 * `WWW-Authenticate` challenge response whose challenge names no `error` (e.g. `Basic realm=...`
 * on a 401 from the token endpoint), so the RFC 6749 error in the body is not lost. jose's
 * errors never reach it: the modules that verify with jose map them with {@link mapError}
 * before they leave (validateIdToken, userinfo, logout tokens). `now`: the client's clock, for a
 * `Retry-After` HTTP-date.
 */
export async function mapErrorAsync(
  error: unknown,
  context: ErrorContext,
  now: number = Date.now(),
): Promise<OpenRpError> {
  if (
    error instanceof oauth.WWWAuthenticateChallengeError &&
    !error.cause.some((c) => typeof c.parameters.error === 'string')
  ) {
    const fromBody = await bodyError(error.response, error.status, now)
    if (fromBody) return fromBody
  }
  if (
    error instanceof oauth.OperationProcessingError &&
    error.code === oauth.RESPONSE_IS_NOT_CONFORM &&
    isWebObject(error.cause, 'Response')
  ) {
    return (await bodyError(error.cause, error.cause.status, now)) ?? httpError(error.cause, now)
  }
  return mapEngineError(error, context, now)
}

/**
 * Members of a response body that are credentials: every `*_token` (with a registration's
 * `registration_access_token`), the device code and a registered client's secret.
 */
const SECRET_MEMBER = /(?:^|_)token$|^device_code$|^client_secret$/
const REDACTED = '[redacted]'

/** `body` with every credential member replaced by `[redacted]`; `body` itself if it has none. */
export function redactSecrets(body: Record<string, unknown>): Record<string, unknown> {
  let redacted: Record<string, unknown> | undefined
  for (const key of Object.keys(body)) {
    if (!SECRET_MEMBER.test(key)) continue
    redacted ??= { ...body }
    redacted[key] = REDACTED
  }
  return redacted ?? body
}

/**
 * oauth4webapi keeps the parsed response body in `cause.body` of its errors; for a token
 * response that holds live tokens. They are replaced by `[redacted]` (the rest of the body
 * stays, for diagnosis) before the error becomes the `cause` of an openrp error.
 */
function redactBody<E extends Error>(error: E): E {
  const cause = error.cause
  if (typeof cause !== 'object' || cause === null) return error
  const body = (cause as { body?: unknown }).body
  if (!isJsonObject(body)) return error
  const redacted = redactSecrets(body)
  if (redacted !== body) error.cause = { ...cause, body: redacted }
  return error
}

/**
 * Maps anything thrown below openrp to an {@link OpenRpError}, jose's errors included (from
 * their documented `code`, `claim` and `reason`). OpenRpErrors pass through. Messages of lower
 * layers are not copied when they could echo response data; the original error stays available
 * as `cause`. `now`: the client's clock, for a `Retry-After` HTTP-date.
 */
export function mapError(
  error: unknown,
  context: ErrorContext,
  now: number = Date.now(),
): OpenRpError {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && !(error instanceof OpenRpError)) {
    const claimFailure = joseClaimCode(error as { code: string; claim?: unknown; reason?: unknown })
    if (claimFailure)
      return new ValidationError(claimFailure, `JWT claim check failed (${code})`, { cause: error })
    const jose = lookup(JOSE_CODES, code)
    if (jose) return new ValidationError(jose, `JOSE check failed (${code})`, { cause: error })
    if (code.startsWith('ERR_JW') || code.startsWith('ERR_JOSE'))
      return new ValidationError(invalidResponseCode(context), 'A JOSE object was refused', {
        cause: error,
      })
  }
  return mapEngineError(error, context, now)
}

/**
 * Maps what oauth4webapi, fetch and the platform throw (everything but jose) to an
 * {@link OpenRpError}. OpenRpErrors pass through; anything unknown is the context's
 * invalid-response code, with the original error as `cause`.
 */
function mapEngineError(error: unknown, context: ErrorContext, now: number): OpenRpError {
  if (error instanceof OpenRpError) return error
  if (error instanceof oauth.ResponseBodyError) {
    return oauthError({
      error: error.error,
      errorDescription: error.error_description,
      status: error.status,
      retryAfterMs: retryAfterOf(error.response, now),
    })
  }
  if (error instanceof oauth.AuthorizationResponseError) {
    return oauthError({ error: error.error, errorDescription: error.error_description })
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const params = error.cause[0]?.parameters ?? {}
    return oauthError({
      error: params.error ?? 'invalid_request',
      errorDescription: params.error_description,
      status: error.status,
      retryAfterMs: retryAfterOf(error.response, now),
    })
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    return new OpenRpError('UNSUPPORTED', error.message, { cause: redactBody(error) })
  }
  if (error instanceof oauth.OperationProcessingError) {
    return mapProcessingError(redactBody(error), context, now)
  }
  // oauth4webapi's bad-argument TypeErrors (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE).
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && code.startsWith('ERR_INVALID_ARG'))
    return new InvalidArgumentError((error as Error).message)
  const malformed = error instanceof TypeError || error instanceof SyntaxError
  return new ValidationError(
    invalidResponseCode(context),
    malformed ? 'Malformed input was refused' : 'Unexpected failure',
    { cause: error },
  )
}

function mapProcessingError(
  error: oauth.OperationProcessingError,
  context: ErrorContext,
  now: number,
): OpenRpError {
  if (error.code === oauth.RESPONSE_IS_NOT_CONFORM) return httpError(error.cause, now)
  const cause: ProcessingCause = isJsonObject(error.cause) ? error.cause : {}
  const code =
    lookup(PROCESSING_CODES, error.code) ??
    (error.code === oauth.JSON_ATTRIBUTE_COMPARISON
      ? lookup(ATTRIBUTE_CODES, cause.attribute)
      : error.code === oauth.JWT_CLAIM_COMPARISON || error.code === oauth.JWT_TIMESTAMP_CHECK
        ? claimCode(cause)
        : error.code === oauth.INVALID_RESPONSE
          ? invalidClaimsCode(cause)
          : undefined) ??
    invalidResponseCode(context)
  return new ValidationError(code, error.message, { cause: error })
}
