/**
 * Turns a token endpoint response into a {@link TokenSet}: oauth4webapi's checks, then the ones
 * it leaves to openrp (the ID token's signature and claim rules, DPoP binding).
 *
 * @module
 */
import type * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { ValidationError } from './errors.ts'
import type { IdTokenExpectations } from './id-token-claims.ts'
import { isJsonObject } from './internal/json-object.ts'
import { checkTokenEndpointIdToken } from './token-id-token.ts'
import { type IdTokenClaims, TokenSet } from './token-set.ts'

export interface TokenResponseExpectations
  extends Pick<IdTokenExpectations, 'nonce' | 'maxAge' | 'subject' | 'previousIssuer' | 'signal'> {
  /** An ID token must be present (authorization code flow with `openid`). */
  requireIdToken?: boolean
  /** Whether the request carried a DPoP proof (the token must then be DPoP-bound). */
  dpop: boolean
}

/** The members that must be strings when present. */
const OPTIONAL_STRINGS = ['refresh_token', 'id_token', 'scope', 'issued_token_type'] as const

const KNOWN = new Set([
  'access_token',
  'token_type',
  'expires_in',
  'refresh_token',
  'id_token',
  'scope',
  'issued_token_type',
])

/**
 * Validates `response` and builds the TokenSet. `process` is the oauth4webapi processing
 * function matching the grant, given {@link ClientCore.server} (openrp's alg policy): it checks
 * the body and the ID token's `alg` and claims; {@link checkTokenEndpointIdToken} adds the
 * signature and the claim rules it leaves to its caller.
 */
export async function handleTokenResponse(
  core: ClientCore,
  response: Response,
  process: (response: Response) => Promise<oauth.TokenEndpointResponse>,
  expected: TokenResponseExpectations,
): Promise<TokenSet> {
  const result = await process(response)
  if (expected.requireIdToken && result.id_token === undefined)
    throw new ValidationError('TOKEN_RESPONSE_INVALID', 'The token response has no ID token')
  const idTokenClaims =
    result.id_token === undefined
      ? undefined
      : await checkTokenEndpointIdToken(core, result, expected)
  return tokenSetFromResponse(result, idTokenClaims, expected.dpop, core.options.clock.now())
}

/** Builds a TokenSet from a processed token response; `nowMs` dates it (the client's clock). */
export function tokenSetFromResponse(
  result: oauth.TokenEndpointResponse | Record<string, unknown>,
  idTokenClaims: IdTokenClaims | undefined,
  dpop: boolean,
  nowMs: number,
): TokenSet {
  if (!isJsonObject(result))
    throw new ValidationError('TOKEN_RESPONSE_INVALID', 'The token response is not a JSON object')
  const r = result
  if (
    typeof r.access_token !== 'string' ||
    r.access_token === '' ||
    typeof r.token_type !== 'string' ||
    r.token_type === ''
  )
    throw new ValidationError(
      'TOKEN_RESPONSE_INVALID',
      'The token response lacks access_token or token_type',
    )
  const tokenType = r.token_type.toLowerCase()
  if (dpop && tokenType !== 'dpop' && !notAnAccessToken(tokenType, r.issued_token_type))
    throw new ValidationError(
      'DPOP_BINDING_MISSING',
      'A DPoP proof was sent but the token is not DPoP-bound',
    )
  const expiresIn =
    typeof r.expires_in === 'string' ? Number.parseFloat(r.expires_in) : r.expires_in
  if (
    expiresIn !== undefined &&
    !(typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn >= 0)
  )
    throw new ValidationError('TOKEN_RESPONSE_INVALID', 'The token response has a bad expires_in')
  for (const name of OPTIONAL_STRINGS) {
    if (r[name] !== undefined && typeof r[name] !== 'string')
      throw new ValidationError('TOKEN_RESPONSE_INVALID', `The token response has a bad ${name}`)
  }
  // Object.keys, not Object.entries: no [key, value] array per member of every response.
  let extra: Record<string, unknown> | undefined
  for (const key of Object.keys(r)) {
    if (KNOWN.has(key)) continue
    extra ??= {}
    extra[key] = r[key]
  }
  const now = Math.floor(nowMs / 1000)
  return new TokenSet({
    accessToken: r.access_token,
    // RFC 8693 `N_A` (only token exchange lets it through oauth4webapi, which lowercases it).
    tokenType: tokenType === 'n_a' ? 'N_A' : r.token_type,
    expiresAt: typeof expiresIn === 'number' ? now + Math.floor(expiresIn) : undefined,
    issuedAt: now,
    refreshToken: r.refresh_token as string | undefined,
    idToken: r.id_token as string | undefined,
    idTokenClaims,
    scope: r.scope as string | undefined,
    issuedTokenType: r.issued_token_type as string | undefined,
    extra,
  })
}

/**
 * Token exchange (RFC 8693 §2.2.1) may issue something that is no access token: `token_type`
 * `N_A`, or an ID token or refresh token. Such a token is not DPoP-bound. One whose
 * `issued_token_type` says access token is one, whatever its `token_type`.
 */
function notAnAccessToken(tokenType: string, issuedTokenType: unknown): boolean {
  if (issuedTokenType === 'urn:ietf:params:oauth:token-type:access_token') return false
  return (
    tokenType === 'n_a' ||
    issuedTokenType === 'urn:ietf:params:oauth:token-type:id_token' ||
    issuedTokenType === 'urn:ietf:params:oauth:token-type:refresh_token'
  )
}
