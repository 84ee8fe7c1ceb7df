/**
 * ID token validation (OpenID Connect Core §3.1.3.7, §3.2.2.11, §3.3.2.12) of a token that does
 * not come through oauth4webapi's token endpoint processing (the front channel, or one the
 * caller holds): {@link verifyJwt} (signature, allowed algs, iss, aud, exp, nbf, iat), then the
 * checks oauth4webapi would have made ({@link checkIdTokenEngineClaims}: azp with several
 * audiences, nonce, auth_time against max_age) and those it leaves to every caller
 * ({@link checkIdTokenClaims}).
 *
 * @module
 */
import type { ClientCore } from './client-core.ts'
import {
  allowedIdTokenAlgs,
  checkIdTokenClaims,
  checkIdTokenEngineClaims,
  type IdTokenExpectations,
} from './id-token-claims.ts'
import { mapError } from './internal/map-error.ts'
import type { IdTokenClaims } from './token-set.ts'
import { verifyJwt } from './verify-jwt.ts'

export { allowedIdTokenAlgs, type IdTokenExpectations }

/**
 * Validates an ID token and returns its claims. Throws ValidationError whose `code` names the
 * failed check (`JWT_SIGNATURE_INVALID`, `ID_TOKEN_NONCE_MISMATCH`, ...).
 *
 * @example
 * ```ts
 * const claims = await validateIdToken(core, idToken, { nonce: transaction.nonce })
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
export async function validateIdToken(
  core: ClientCore,
  idToken: string,
  expected: IdTokenExpectations = {},
): Promise<IdTokenClaims> {
  let claims: IdTokenClaims
  let alg: string
  try {
    const result = await verifyJwt(
      core,
      idToken,
      {
        algorithms: allowedIdTokenAlgs(core),
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      },
      expected.signal,
    )
    claims = result.payload as IdTokenClaims
    alg = result.protectedHeader.alg
  } catch (error) {
    throw mapError(error, 'id_token')
  }
  checkIdTokenEngineClaims(core, claims, expected)
  return checkIdTokenClaims(core, claims, alg, expected)
}
