/**
 * The ID token of a token endpoint response, after oauth4webapi's `process*Response` function
 * checked its `alg` (openrp's policy, given as `id_token_signing_alg_values_supported` /
 * `id_token_signed_response_alg`), its registered claims, `nonce`, `auth_time` and `azp` with
 * several audiences. What it leaves to its caller is done here, once: the signature
 * (`validateApplicationLevelSignature`, keys from openrp's JWKS cache through the `jwksCache`
 * option) and {@link checkIdTokenClaims}.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { ValidationError } from './errors.ts'
import { checkIdTokenClaims, type IdTokenExpectations } from './id-token-claims.ts'
import { decodeBase64Url } from './internal/base64url.ts'
import { type LoadedJwks, withKeySet } from './jwks.ts'
import type { IdTokenClaims } from './token-set.ts'

/**
 * Verifies the signature of the processed token response's ID token, then the claim checks
 * oauth4webapi leaves to its caller. Throws ValidationError (`JWT_SIGNATURE_INVALID`,
 * `JWKS_NO_MATCHING_KEY`, `ID_TOKEN_*`).
 */
export async function checkTokenEndpointIdToken(
  core: ClientCore,
  response: Response,
  result: oauth.TokenEndpointResponse,
  expected: IdTokenExpectations,
): Promise<IdTokenClaims> {
  await verifyResponseSignature(core, response, expected.signal)
  const alg = headerAlg(result.id_token as string)
  return checkIdTokenClaims(
    core,
    oauth.getValidatedIdTokenClaims(result) as IdTokenClaims,
    alg,
    expected,
  )
}

/** The `alg` of a JWT whose header oauth4webapi has parsed and checked already. */
function headerAlg(jwt: string): string {
  const header: unknown = JSON.parse(
    new TextDecoder().decode(decodeBase64Url(jwt.slice(0, jwt.indexOf('.')))),
  )
  return (header as { alg: string }).alg
}

/**
 * oauth4webapi verifies the signature with the key set openrp hands it (`jwksCache`, documented
 * as the set it would otherwise fetch) and never fetches one itself (`customFetch` refuses). It
 * gets only the metadata the check reads, made for this verification, so it has no key set of
 * its own for it. An unknown key triggers the cache's one refetch; a token that names no `kid`
 * while several keys fit is tried against each.
 */
async function verifyResponseSignature(
  core: ClientCore,
  response: Response,
  signal: AbortSignal | undefined,
): Promise<void> {
  const attempt = async (set: LoadedJwks) => {
    try {
      await verifyWithKeys(core, response, set.jwks.keys)
    } catch (error) {
      const candidates = keyCandidates(error)
      if (candidates === undefined || candidates.length < 2) throw error
      for (const key of candidates) {
        try {
          return await verifyWithKeys(core, response, [key])
        } catch (inner) {
          if (!(inner instanceof ValidationError && inner.code === 'JWT_SIGNATURE_INVALID'))
            throw inner
        }
      }
      throw new ValidationError('JWT_SIGNATURE_INVALID', 'No key of the provider verifies the JWT')
    }
  }
  try {
    await withKeySet(core.jwks, signal, attempt, (error) => keyCandidates(error) !== undefined)
  } catch (error) {
    if (keyCandidates(error) === undefined) throw error
    throw new ValidationError('JWKS_NO_MATCHING_KEY', 'No key of the provider fits the JWT', {
      cause: error,
    })
  }
}

const refuseFetch = () =>
  Promise.reject(new Error('the JWKS comes from openrp\u2019s cache, never from a fetch here'))

async function verifyWithKeys(
  core: ClientCore,
  response: Response,
  keys: readonly unknown[],
): Promise<void> {
  const { issuer, jwks_uri } = core.metadata
  try {
    await oauth.validateApplicationLevelSignature({ issuer, jwks_uri }, response, {
      [oauth.jwksCache]: { jwks: { keys } as oauth.JWKS, uat: Math.floor(Date.now() / 1000) },
      [oauth.customFetch]: refuseFetch,
    })
  } catch (error) {
    // oauth4webapi's failed signature check: INVALID_RESPONSE with the signature in its cause.
    if (
      error instanceof oauth.OperationProcessingError &&
      (error.cause as { signature?: unknown } | undefined)?.signature !== undefined
    )
      throw new ValidationError('JWT_SIGNATURE_INVALID', 'The JWT signature is not valid', {
        cause: error,
      })
    throw error
  }
}

/** The keys oauth4webapi found fitting when it could not pick one, else `undefined`. */
function keyCandidates(error: unknown): unknown[] | undefined {
  if (!(error instanceof oauth.OperationProcessingError) || error.code !== oauth.KEY_SELECTION)
    return undefined
  const candidates = (error.cause as { candidates?: unknown } | undefined)?.candidates
  return Array.isArray(candidates) ? candidates : undefined
}
