/**
 * ID token validation (OpenID Connect Core §3.1.3.7, §3.2.2.11, §3.3.2.12), wherever the token
 * comes from: signature against the provider's JWKS, allowed algs (never `none` or HMAC), iss,
 * aud, azp, exp, iat (not in the future, not older than `idTokenMaxAgeSec`), nonce, auth_time
 * against max_age, at_hash / c_hash / s_hash and `sub` continuity.
 *
 * @module
 */
import { decodeProtectedHeader } from 'jose'
import type { ClientCore } from './client-core.ts'
import { verifyWithJwks } from './jwks.ts'
import { type ErrorCode, ValidationError } from './errors.ts'
import { mapError } from './internal/map-error.ts'
import { hashFor, leftHalfHash } from './internal/token-hash.ts'
import type { IdTokenClaims } from './token-set.ts'

/** What the ID token must match. */
export interface IdTokenExpectations {
  /** The transaction's nonce; `undefined` skips the check (refresh: nonce need not be echoed). */
  nonce?: string | undefined
  /** max_age of the request: `auth_time` must be present and recent enough. */
  maxAge?: number | undefined
  /** Access token issued alongside: at_hash is checked when present, required with `requireAtHash`. */
  accessToken?: string | undefined
  requireAtHash?: boolean
  /** Code issued alongside: c_hash checked when present, required with `requireCHash`. */
  code?: string | undefined
  requireCHash?: boolean
  /** state of the response: s_hash checked when present. */
  state?: string | undefined
  /** The subject this token must be about (hybrid second token, refresh). */
  subject?: string | undefined
  /** The issuer a previous ID token of this session named (refresh). */
  previousIssuer?: string | undefined
  signal?: AbortSignal | undefined
}

/**
 * Algorithms the provider may sign ID tokens with: the client's registered
 * `idTokenSignedResponseAlg` when set, else its metadata minus `none` and HMAC.
 */
export function allowedIdTokenAlgs(core: ClientCore): string[] {
  const registered = core.options.idTokenSignedResponseAlg
  if (registered !== undefined) return [registered]
  const advertised = core.metadata.id_token_signing_alg_values_supported
  const algs = (Array.isArray(advertised) ? advertised : ['RS256']).filter(
    (alg) => typeof alg === 'string' && alg !== 'none' && !alg.startsWith('HS'),
  )
  return algs.length > 0 ? algs : ['RS256']
}

/**
 * Validates an ID token and returns its claims. Throws ValidationError whose `code` names the
 * failed check (`JWT_SIGNATURE_INVALID`, `ID_TOKEN_NONCE_MISMATCH`, ...).
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
export async function validateIdToken(
  core: ClientCore,
  idToken: string,
  expected: IdTokenExpectations = {},
): Promise<IdTokenClaims> {
  if (typeof idToken !== 'string' || idToken.split('.').length !== 3)
    throw new ValidationError('JWT_MALFORMED', 'The ID token is not a compact JWS')
  let alg: unknown
  try {
    alg = decodeProtectedHeader(idToken).alg
  } catch (error) {
    throw new ValidationError('JWT_MALFORMED', 'The ID token header is not valid', { cause: error })
  }
  const algorithms = allowedIdTokenAlgs(core)
  if (typeof alg !== 'string' || !algorithms.includes(alg))
    throw new ValidationError(
      'JWT_ALG_NOT_ALLOWED',
      // Not String(alg): a header `alg` object may have no usable toString.
      `ID token alg ${typeof alg === 'string' ? `"${alg}"` : `of type ${typeof alg}`} is not allowed`,
    )

  const { clockToleranceSec, clientId, idTokenMaxAgeSec } = core.options
  let payload: Record<string, unknown>
  try {
    const result = await verifyWithJwks(
      core,
      idToken,
      {
        algorithms,
        issuer: core.metadata.issuer,
        audience: clientId,
        clockTolerance: clockToleranceSec,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      },
      expected.signal,
    )
    payload = result.payload as Record<string, unknown>
  } catch (error) {
    throw mapError(error, 'id_token')
  }
  const claims = payload as IdTokenClaims
  const now = Math.floor(Date.now() / 1000)
  if (typeof claims.sub !== 'string' || claims.sub === '')
    fail('ID_TOKEN_CLAIM_MISSING', '"sub" is missing')
  if (typeof claims.iat !== 'number') fail('ID_TOKEN_IAT_INVALID', '"iat" is not a number')
  if (claims.iat > now + clockToleranceSec) fail('ID_TOKEN_IAT_INVALID', '"iat" is in the future')
  if (claims.iat < now - idTokenMaxAgeSec - clockToleranceSec)
    fail('ID_TOKEN_IAT_INVALID', `"iat" is older than ${idTokenMaxAgeSec} s`)
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (claims.azp !== undefined && claims.azp !== clientId)
    fail('ID_TOKEN_AZP_MISMATCH', '"azp" is not this client')
  if (audiences.length > 1 && claims.azp === undefined)
    fail('ID_TOKEN_AZP_MISMATCH', 'several audiences but no "azp"')
  if (expected.nonce !== undefined && claims.nonce !== expected.nonce)
    fail('ID_TOKEN_NONCE_MISMATCH', '"nonce" does not match the transaction')
  if (expected.maxAge !== undefined) {
    if (typeof claims.auth_time !== 'number')
      fail('ID_TOKEN_AUTH_TIME_INVALID', '"auth_time" is missing')
    if (claims.auth_time + expected.maxAge < now - clockToleranceSec)
      fail('ID_TOKEN_AUTH_TIME_INVALID', 'authentication is older than max_age')
  } else if (claims.auth_time !== undefined && typeof claims.auth_time !== 'number') {
    fail('ID_TOKEN_AUTH_TIME_INVALID', '"auth_time" is not a number')
  }
  if (expected.previousIssuer !== undefined && claims.iss !== expected.previousIssuer)
    fail('ID_TOKEN_ISS_CHANGED', 'the refreshed ID token names another issuer')
  if (expected.subject !== undefined && claims.sub !== expected.subject)
    fail('ID_TOKEN_SUB_MISMATCH', 'the ID token is about another subject')

  const hash = hashFor(alg)
  await checkHash(
    claims.at_hash,
    expected.accessToken,
    expected.requireAtHash,
    hash,
    'ID_TOKEN_AT_HASH_MISMATCH',
    'at_hash',
  )
  await checkHash(
    claims.c_hash,
    expected.code,
    expected.requireCHash,
    hash,
    'ID_TOKEN_C_HASH_MISMATCH',
    'c_hash',
  )
  await checkHash(claims.s_hash, expected.state, false, hash, 'ID_TOKEN_S_HASH_MISMATCH', 's_hash')
  return claims
}

async function checkHash(
  claim: unknown,
  value: string | undefined,
  required: boolean | undefined,
  hash: ReturnType<typeof hashFor>,
  code: ErrorCode,
  name: string,
): Promise<void> {
  if (claim === undefined) {
    if (required) fail(code, `"${name}" is missing`)
    return
  }
  if (value === undefined) return
  if (typeof claim !== 'string' || hash === undefined) fail(code, `"${name}" cannot be checked`)
  if ((await leftHalfHash(value, hash)) !== claim) fail(code, `"${name}" does not match`)
}

function fail(code: ErrorCode, detail: string): never {
  throw new ValidationError(code, `ID token refused: ${detail}`)
}
