/**
 * The ID-token claim rules (OpenID Connect Core §3.1.3.7), in two parts:
 *
 * - {@link checkIdTokenClaims}: what oauth4webapi's `process*Response` functions leave to their
 *   caller (a non-empty `sub`, the `iat` window, `azp` with a single audience, `sub` / `iss`
 *   continuity, at_hash / c_hash / s_hash). Every ID token passes them once.
 * - {@link checkIdTokenEngineClaims}: what those functions check on a token endpoint response
 *   (`nonce`, `auth_time` against max_age, `azp` with several audiences), for the ID tokens that
 *   do not come through them (the front channel, {@link validateIdToken}).
 *
 * @module
 */
import type { ClientCore, ServerMetadata } from './client-core.ts'
import { type ValidationErrorCode, ValidationError } from './errors.ts'
import { hashFor, leftHalfHash } from './internal/token-hash.ts'
import type { ResolvedOptions } from './options.ts'
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
export function allowedIdTokenAlgs(core: Pick<ClientCore, 'metadata' | 'options'>): string[] {
  return idTokenAlgPolicy(core.metadata, core.options)
}

/** {@link allowedIdTokenAlgs} of metadata and options, before a core exists. */
export function idTokenAlgPolicy(
  metadata: Pick<ServerMetadata, 'id_token_signing_alg_values_supported'>,
  options: Pick<ResolvedOptions, 'idTokenSignedResponseAlg'>,
): string[] {
  return jwtAlgPolicy(
    options.idTokenSignedResponseAlg,
    metadata.id_token_signing_alg_values_supported,
  )
}

/**
 * The algorithm policy of every JWT openrp verifies (ID tokens, signed userinfo): the client's
 * `registered` alg when set, else the provider's `advertised` ones that are strings, minus
 * `none` and HMAC; RS256 when none is left (OpenID Connect Discovery's default).
 */
export function jwtAlgPolicy(registered: string | undefined, advertised: unknown): string[] {
  if (registered !== undefined) return [registered]
  const algs = (Array.isArray(advertised) ? advertised : []).filter(
    (alg): alg is string => typeof alg === 'string' && alg !== 'none' && !alg.startsWith('HS'),
  )
  return algs.length > 0 ? algs : ['RS256']
}

/**
 * The checks oauth4webapi leaves to its caller, on an ID token whose signature, `iss`, `aud`,
 * `exp` and claim types were verified. Throws ValidationError whose `code` names the failed check.
 * Synchronous unless a token hash (at_hash, c_hash, s_hash) has to be computed.
 */
export function checkIdTokenClaims(
  core: ClientCore,
  claims: IdTokenClaims,
  alg: string,
  expected: IdTokenExpectations,
): IdTokenClaims | Promise<IdTokenClaims> {
  const { clockToleranceSec, clientId, idTokenMaxAgeSec } = core.options
  const now = Math.floor(core.options.clock.now() / 1000)
  if (typeof claims.sub !== 'string' || claims.sub === '')
    fail('ID_TOKEN_CLAIM_MISSING', '"sub" is missing')
  if (typeof claims.iat !== 'number') fail('ID_TOKEN_IAT_INVALID', '"iat" is not a number')
  if (claims.iat > now + clockToleranceSec) fail('ID_TOKEN_IAT_INVALID', '"iat" is in the future')
  if (claims.iat < now - idTokenMaxAgeSec - clockToleranceSec)
    fail('ID_TOKEN_IAT_INVALID', `"iat" is older than ${idTokenMaxAgeSec} s`)
  if (claims.azp !== undefined && claims.azp !== clientId)
    fail('ID_TOKEN_AZP_MISMATCH', '"azp" is not this client')
  if (expected.previousIssuer !== undefined && claims.iss !== expected.previousIssuer)
    fail('ID_TOKEN_ISS_CHANGED', 'the refreshed ID token names another issuer')
  if (expected.subject !== undefined && claims.sub !== expected.subject)
    fail('ID_TOKEN_SUB_MISMATCH', 'the ID token is about another subject')
  const hashed =
    claims.at_hash !== undefined ||
    claims.c_hash !== undefined ||
    claims.s_hash !== undefined ||
    expected.requireAtHash === true ||
    expected.requireCHash === true
  return hashed ? checkHashes(claims, alg, expected) : claims
}

/** at_hash, c_hash and s_hash (OpenID Connect Core §3.1.3.8, §3.3.2.11, FAPI 1 §5.1). */
async function checkHashes(
  claims: IdTokenClaims,
  alg: string,
  expected: IdTokenExpectations,
): Promise<IdTokenClaims> {
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

/**
 * The checks oauth4webapi's `process*Response` functions make on a token endpoint ID token,
 * for one that comes from elsewhere (the front channel): `azp` with several audiences, `nonce`,
 * `auth_time` against max_age. Throws ValidationError whose `code` names the failed check.
 */
export function checkIdTokenEngineClaims(
  core: ClientCore,
  claims: IdTokenClaims,
  expected: IdTokenExpectations,
): void {
  const { clockToleranceSec } = core.options
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp === undefined)
    fail('ID_TOKEN_AZP_MISMATCH', 'several audiences but no "azp"')
  if (expected.nonce !== undefined && claims.nonce !== expected.nonce)
    fail('ID_TOKEN_NONCE_MISMATCH', '"nonce" does not match the transaction')
  if (expected.maxAge !== undefined) {
    if (typeof claims.auth_time !== 'number')
      fail('ID_TOKEN_AUTH_TIME_INVALID', '"auth_time" is missing')
    const now = Math.floor(core.options.clock.now() / 1000)
    if (claims.auth_time + expected.maxAge < now - clockToleranceSec)
      fail('ID_TOKEN_AUTH_TIME_INVALID', 'authentication is older than max_age')
  } else if (claims.auth_time !== undefined && typeof claims.auth_time !== 'number') {
    fail('ID_TOKEN_AUTH_TIME_INVALID', '"auth_time" is not a number')
  }
}

async function checkHash(
  claim: unknown,
  value: string | undefined,
  required: boolean | undefined,
  hash: ReturnType<typeof hashFor>,
  code: ValidationErrorCode,
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

function fail(code: ValidationErrorCode, detail: string): never {
  throw new ValidationError(code, `ID token refused: ${detail}`)
}
