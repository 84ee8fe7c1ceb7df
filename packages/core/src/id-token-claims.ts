/**
 * The ID-token checks that follow a verified signature (OpenID Connect Core §3.1.3.7): alg
 * allow-list, sub, iat, azp, nonce, auth_time against max_age, at_hash / c_hash / s_hash and
 * `sub` / `iss` continuity. Shared by the token endpoint path (oauth4webapi verifies the
 * signature) and {@link validateIdToken} (jose), so neither repeats the rules.
 *
 * @module
 */
import type { ClientCore } from './client-core.ts'
import { type ErrorCode, ValidationError } from './errors.ts'
import { isJsonObject } from './internal/json-object.ts'
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

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The `alg` of a compact JWS, checked against {@link allowedIdTokenAlgs}. Throws
 * `JWT_MALFORMED` or `JWT_ALG_NOT_ALLOWED`.
 */
export function checkIdTokenAlg(core: ClientCore, idToken: string): string {
  if (typeof idToken !== 'string' || idToken.split('.').length !== 3)
    throw new ValidationError('JWT_MALFORMED', 'The ID token is not a compact JWS')
  let alg: unknown
  try {
    const b64 = idToken.slice(0, idToken.indexOf('.')).replace(/-/g, '+').replace(/_/g, '/')
    const binary = atob(b64)
    // ASCII (the usual header) parses as is, about 6x faster than decoding it; anything else is
    // decoded as UTF-8. This runs on every refresh: 25 bytes of bundle buy ~2% of refresh().
    const text = /^[\x20-\x7e]*$/.test(binary)
      ? binary
      : utf8.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
    const header: unknown = JSON.parse(text)
    if (!isJsonObject(header)) throw new TypeError()
    alg = header.alg
  } catch (error) {
    throw new ValidationError('JWT_MALFORMED', 'The ID token header is not valid', { cause: error })
  }
  if (typeof alg !== 'string' || !allowedIdTokenAlgs(core).includes(alg))
    throw new ValidationError(
      'JWT_ALG_NOT_ALLOWED',
      // Not String(alg): a header `alg` object may have no usable toString.
      `ID token alg ${typeof alg === 'string' ? `"${alg}"` : `of type ${typeof alg}`} is not allowed`,
    )
  return alg
}

/**
 * Checks the claims of an ID token whose signature, `iss`, `aud` and `exp` were verified.
 * Throws ValidationError whose `code` names the failed check.
 */
export async function checkIdTokenClaims(
  core: ClientCore,
  claims: IdTokenClaims,
  alg: string,
  expected: IdTokenExpectations,
): Promise<IdTokenClaims> {
  const { clockToleranceSec, clientId, idTokenMaxAgeSec } = core.options
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
