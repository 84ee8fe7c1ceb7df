/**
 * ID token validation (OpenID Connect Core §3.1.3.7, §3.2.2.11, §3.3.2.12), wherever the token
 * comes from: signature against the provider's JWKS, allowed algs (never `none` or HMAC), iss,
 * aud, azp, exp, iat (not in the future, not older than `idTokenMaxAgeSec`), nonce, auth_time
 * against max_age, at_hash / c_hash / s_hash and `sub` continuity.
 *
 * @module
 */
import type { ClientCore } from './client-core.ts'
import {
  allowedIdTokenAlgs,
  checkIdTokenAlg,
  checkIdTokenClaims,
  type IdTokenExpectations,
} from './id-token-claims.ts'
import { verifyWithJwks } from './jwks.ts'
import { mapError } from './internal/map-error.ts'
import type { IdTokenClaims } from './token-set.ts'

export { allowedIdTokenAlgs, type IdTokenExpectations }

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
  const alg = checkIdTokenAlg(core, idToken)
  const { clockToleranceSec, clientId } = core.options
  let payload: Record<string, unknown>
  try {
    const result = await verifyWithJwks(
      core,
      idToken,
      {
        algorithms: [alg],
        issuer: core.metadata.issuer,
        audience: clientId,
        clockTolerance: clockToleranceSec,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      },
      expected.signal,
    )
    payload = result.payload
  } catch (error) {
    throw mapError(error, 'id_token')
  }
  return checkIdTokenClaims(core, payload as IdTokenClaims, alg, expected)
}
