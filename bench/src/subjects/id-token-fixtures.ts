import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from 'jose'

export type IdTokenAlg = 'RS256' | 'ES256'

export const ISSUER = 'https://op.example.test'
export const CLIENT_ID = 'bench-client'

/** Provider metadata every ID-token subject is configured with (no discovery request). */
export const SERVER_METADATA = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/jwks`,
  id_token_signing_alg_values_supported: ['RS256', 'ES256'],
  response_types_supported: ['code'],
  subject_types_supported: ['public'],
}

/** One signing key, its public JWKS and a valid ID token it signed. */
export interface IdTokenFixture {
  alg: IdTokenAlg
  jwks: JSONWebKeySet
  publicKey: CryptoKey
  idToken: string
  /** A token-endpoint answer carrying the ID token (what a refresh returns). */
  tokenResponse: string
}

export async function makeFixture(alg: IdTokenAlg): Promise<IdTokenFixture> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const kid = `${alg.toLowerCase()}-bench`
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  const now = Math.floor(Date.now() / 1000)
  const idToken = await new SignJWT({ auth_time: now, email: 'alice@example.test' })
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(CLIENT_ID)
    .setSubject('a1c3b7e2-5f0d-4c7e-9a51-0a11ce000001')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey)
  return {
    alg,
    jwks: { keys: [jwk] },
    publicKey,
    idToken,
    tokenResponse: JSON.stringify({
      access_token: 'bench-access-token',
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: 'bench-refresh-token',
      id_token: idToken,
    }),
  }
}

/**
 * A fetch that answers from memory: the JWKS and the token response. Every library under test
 * gets the same one, so the figures compare parsing and validation, not a network.
 */
export function cannedFetch(fixture: IdTokenFixture): typeof fetch {
  const jwks = JSON.stringify(fixture.jwks)
  return (async (input: RequestInfo | URL) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (url === SERVER_METADATA.jwks_uri) {
      return new Response(jwks, { headers: { 'content-type': 'application/json' } })
    }
    if (url === SERVER_METADATA.token_endpoint) {
      return new Response(fixture.tokenResponse, {
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      })
    }
    return new Response('{"error":"not_found"}', { status: 404 })
  }) as typeof fetch
}
