import { createLocalJWKSet, jwtVerify } from 'jose'
import * as oidc from 'openid-client'
import {
  CLIENT_ID,
  cannedFetch,
  type IdTokenFixture,
  ISSUER,
  SERVER_METADATA,
} from './id-token-fixtures.ts'

/**
 * openid-client: a refresh-token grant whose response carries the ID token, with
 * enableNonRepudiationChecks so the ID token's signature is verified too (claims are always
 * checked). The fetch answers from memory.
 */
export function openidClientRefresh(fixture: IdTokenFixture): () => Promise<unknown> {
  const config = new oidc.Configuration(
    SERVER_METADATA,
    CLIENT_ID,
    { id_token_signed_response_alg: fixture.alg },
    oidc.None(),
  )
  config[oidc.customFetch] = cannedFetch(fixture) as unknown as oidc.CustomFetch
  oidc.enableNonRepudiationChecks(config)
  return async () => {
    const result = await oidc.refreshTokenGrant(config, 'bench-refresh-token')
    if (!result.claims()?.sub) throw new Error('openid-client returned no ID token claims')
    return result
  }
}

/**
 * The floor: jose.jwtVerify alone (signature, iss, aud, exp, iat, required claims) against a
 * local JWKS. No response parsing, no azp/nonce/auth_time/at_hash logic.
 */
export function joseJwtVerify(fixture: IdTokenFixture): () => Promise<unknown> {
  const keys = createLocalJWKSet(fixture.jwks)
  return () =>
    jwtVerify(fixture.idToken, keys, {
      algorithms: [fixture.alg],
      issuer: ISSUER,
      audience: CLIENT_ID,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    })
}
