/**
 * The one place lower-layer errors (oauth4webapi, jose, fetch, TypeErrors) become openrp errors
 * with a stable `code`.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import {
  type ErrorCode,
  HttpError,
  InteractionRequiredError,
  InvalidArgumentError,
  OAuthError,
  OpenRpError,
  ValidationError,
} from '../errors.ts'

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

const INTERACTION_ERRORS = new Set([
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
])

/** Builds the openrp error for an RFC 6749 error response. */
export function oauthError(init: {
  error: string
  errorDescription?: string | undefined
  errorUri?: string | undefined
  status?: number | undefined
}): OAuthError {
  const clean = {
    error: init.error,
    ...(init.errorDescription !== undefined && { errorDescription: init.errorDescription }),
    ...(init.errorUri !== undefined && { errorUri: init.errorUri }),
    ...(init.status !== undefined && { status: init.status }),
  }
  if (INTERACTION_ERRORS.has(init.error)) return new InteractionRequiredError(clean)
  switch (init.error) {
    case 'access_denied':
      return new OAuthError(clean, 'ACCESS_DENIED')
    case 'expired_token':
      return new OAuthError(clean, 'DEVICE_CODE_EXPIRED')
    case 'invalid_grant':
      return new OAuthError(clean, 'INVALID_GRANT')
    default:
      return new OAuthError(clean)
  }
}

function invalidResponseCode(context: ErrorContext): ErrorCode {
  switch (context) {
    case 'token':
      return 'TOKEN_RESPONSE_INVALID'
    case 'userinfo':
      return 'USERINFO_INVALID'
    case 'discovery':
      return 'METADATA_INVALID'
    case 'jwks':
      return 'JWKS_INVALID'
    case 'authorization':
      return 'AUTHORIZATION_RESPONSE_INVALID'
    case 'logout_token':
      return 'LOGOUT_TOKEN_INVALID'
    case 'id_token':
      return 'JWT_MALFORMED'
    default:
      return 'INVALID_RESPONSE'
  }
}

const CLAIM_CODES: Record<string, ErrorCode> = {
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

const JOSE_CODES: Record<string, ErrorCode> = {
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'JWT_SIGNATURE_INVALID',
  ERR_JWKS_NO_MATCHING_KEY: 'JWKS_NO_MATCHING_KEY',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'JWKS_MULTIPLE_MATCHING_KEYS',
  ERR_JWKS_INVALID: 'JWKS_INVALID',
  ERR_JWKS_TIMEOUT: 'TIMEOUT',
  ERR_JOSE_ALG_NOT_ALLOWED: 'JWT_ALG_NOT_ALLOWED',
  ERR_JOSE_NOT_SUPPORTED: 'JWT_ALG_NOT_ALLOWED',
  ERR_JWS_INVALID: 'JWT_MALFORMED',
  ERR_JWT_INVALID: 'JWT_MALFORMED',
  ERR_JWT_EXPIRED: 'ID_TOKEN_EXPIRED',
}

/**
 * Like {@link mapError}, but first reads the body of a `WWW-Authenticate` challenge response
 * whose challenge names no `error` (e.g. `Basic realm=...` on a 401 from the token endpoint),
 * so the RFC 6749 error in the body is not lost.
 */
export async function mapErrorAsync(error: unknown, context: ErrorContext): Promise<OpenRpError> {
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const hasError = error.cause.some((c) => typeof c.parameters.error === 'string')
    if (!hasError) {
      const body = await error.response
        .clone()
        .json()
        .catch(() => undefined)
      if (typeof body?.error === 'string') {
        return oauthError({
          error: body.error,
          errorDescription:
            typeof body.error_description === 'string' ? body.error_description : undefined,
          status: error.status,
        })
      }
    }
  }
  if (
    error instanceof oauth.OperationProcessingError &&
    error.code === oauth.RESPONSE_IS_NOT_CONFORM
  ) {
    const response = error.cause
    if (response instanceof Response) {
      const body = await response
        .clone()
        .json()
        .catch(() => undefined)
      if (typeof body?.error === 'string') {
        return oauthError({
          error: body.error,
          errorDescription:
            typeof body.error_description === 'string' ? body.error_description : undefined,
          status: response.status,
        })
      }
      return new HttpError(response.status)
    }
  }
  return mapError(error, context)
}

/**
 * Maps anything thrown below openrp to an {@link OpenRpError}. OpenRpErrors pass through.
 * Messages of lower layers are not copied when they could echo response data; the original
 * error stays available as `cause`.
 */
export function mapError(error: unknown, context: ErrorContext): OpenRpError {
  if (error instanceof OpenRpError) return error
  if (error instanceof oauth.ResponseBodyError) {
    return oauthError({
      error: error.error,
      errorDescription: error.error_description,
      status: error.status,
    })
  }
  if (error instanceof oauth.AuthorizationResponseError) {
    return oauthError({ error: error.error, errorDescription: error.error_description })
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0]
    const params = challenge?.parameters ?? {}
    return oauthError({
      error: params.error ?? 'invalid_request',
      errorDescription: params.error_description,
      status: error.status,
    })
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    return new OpenRpError('UNSUPPORTED', error.message, { cause: error })
  }
  if (error instanceof oauth.OperationProcessingError) {
    return mapProcessingError(error, context)
  }
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string') {
    if (code in JOSE_CODES) {
      return new ValidationError(JOSE_CODES[code] as ErrorCode, joseMessage(code), { cause: error })
    }
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
      const claim = String((error as { claim?: unknown }).claim)
      const reason = (error as { reason?: unknown }).reason
      const mapped =
        reason === 'missing' ? 'ID_TOKEN_CLAIM_MISSING' : (CLAIM_CODES[claim] ?? 'JWT_MALFORMED')
      return new ValidationError(
        context === 'logout_token' ? 'LOGOUT_TOKEN_INVALID' : mapped,
        `JWT "${claim}" claim check failed`,
        {
          cause: error,
        },
      )
    }
    if (code.startsWith('ERR_JW') || code.startsWith('ERR_JOSE')) {
      return new ValidationError(invalidResponseCode(context), 'A JOSE object was refused', {
        cause: error,
      })
    }
    if (code.startsWith('ERR_INVALID_ARG')) {
      return new InvalidArgumentError((error as Error).message)
    }
  }
  if (error instanceof TypeError || error instanceof SyntaxError) {
    return new ValidationError(invalidResponseCode(context), 'Malformed input was refused', {
      cause: error,
    })
  }
  return new ValidationError(invalidResponseCode(context), 'Unexpected failure', { cause: error })
}

function joseMessage(code: string): string {
  return `JOSE check failed (${code})`
}

function mapProcessingError(
  error: oauth.OperationProcessingError,
  context: ErrorContext,
): OpenRpError {
  const cause = (error.cause ?? {}) as { claim?: string; attribute?: string }
  switch (error.code) {
    case oauth.JSON_ATTRIBUTE_COMPARISON:
      if (cause.attribute === 'issuer')
        return new ValidationError(
          'DISCOVERY_ISSUER_MISMATCH',
          'The discovered issuer differs from the one asked for',
          { cause: error },
        )
      if (cause.attribute === 'sub')
        return new ValidationError(
          'USERINFO_SUB_MISMATCH',
          'The userinfo "sub" differs from the expected subject',
          { cause: error },
        )
      return new ValidationError(invalidResponseCode(context), error.message, { cause: error })
    case oauth.JWT_CLAIM_COMPARISON:
    case oauth.JWT_TIMESTAMP_CHECK: {
      const mapped = cause.claim !== undefined ? CLAIM_CODES[cause.claim] : undefined
      return new ValidationError(mapped ?? invalidResponseCode(context), error.message, {
        cause: error,
      })
    }
    case oauth.RESPONSE_IS_NOT_JSON:
    case oauth.PARSE_ERROR:
      return new ValidationError('INVALID_RESPONSE', 'The response is not valid JSON', {
        cause: error,
      })
    case oauth.RESPONSE_IS_NOT_CONFORM:
      return new HttpError(error.cause instanceof Response ? error.cause.status : 0)
    case oauth.HTTP_REQUEST_FORBIDDEN:
    case oauth.REQUEST_PROTOCOL_FORBIDDEN:
      return new ValidationError('INSECURE_ENDPOINT', error.message, { cause: error })
    case oauth.MISSING_SERVER_METADATA:
    case oauth.INVALID_SERVER_METADATA:
      return new ValidationError('METADATA_INVALID', error.message, { cause: error })
    case oauth.KEY_SELECTION:
      return new ValidationError('JWKS_NO_MATCHING_KEY', error.message, { cause: error })
    case oauth.JWT_USERINFO_EXPECTED:
      return new ValidationError('USERINFO_INVALID', error.message, { cause: error })
    default:
      if (/claim missing/.test(error.message))
        return new ValidationError('ID_TOKEN_CLAIM_MISSING', error.message, { cause: error })
      return new ValidationError(invalidResponseCode(context), error.message, { cause: error })
  }
}
