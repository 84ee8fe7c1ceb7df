/**
 * Refresh token grant (RFC 6749 §6). Never retried blindly: a replayed refresh token can revoke
 * the grant.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from '../client-core.ts'
import { assertDpopKey } from '../dpop.ts'
import { InvalidArgumentError } from '../errors.ts'
import { failedAnswerText } from '../internal/http.ts'
import { appendResources, tokenRequest } from '../internal/token-request.ts'
import { keepRotatedRefreshToken } from '../rotated-refresh-token.ts'
import { TokenSet } from '../token-set.ts'

/** Options of `client.refresh()` (RFC 6749 §6). */
export interface RefreshOptions {
  /** Narrower scope than originally granted (RFC 6749 §6). */
  scope?: string
  /** RFC 8707 resource indicator(s). */
  resource?: string | string[]
  signal?: AbortSignal
  /**
   * This request's deadline instead of the client's `timeoutMs`. TokenManager gives a sent
   * refresh far longer than its callers wait: an answer that comes late still holds the only
   * valid refresh token.
   */
  timeoutMs?: number
}

/**
 * Exchanges a refresh token for new tokens. Given a TokenSet, a refreshed ID token must name
 * the same `iss` and `sub` (`ID_TOKEN_ISS_CHANGED` / `ID_TOKEN_SUB_MISMATCH`); the old refresh
 * token is kept when the provider does not rotate it, the old ID token when it sends none, and
 * the scope asked for (by default the old one) when it sends no `scope`.
 * A set bound to another DPoP key than the core's is refused before anything is sent
 * (`DPOP_KEY_MISMATCH`).
 *
 * When the provider answers 200 but the answer fails another check, the error thrown carries
 * the answer's new refresh token, hidden: read it with {@link rotatedRefreshToken}.
 *
 * @example
 * ```ts
 * const fresh = await refresh(core, tokens)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
 */
export async function refresh(
  core: ClientCore,
  refreshTokenOrSet: string | TokenSet,
  options: RefreshOptions = {},
): Promise<TokenSet> {
  const previous = refreshTokenOrSet instanceof TokenSet ? refreshTokenOrSet : undefined
  const refreshToken = previous ? previous.refreshToken : refreshTokenOrSet
  if (typeof refreshToken !== 'string' || refreshToken === '')
    throw new InvalidArgumentError('refresh() needs a refresh token or a TokenSet that has one')
  // Bound to another DPoP key: the provider would refuse it (and may revoke the grant).
  if (previous?.dpopJkt !== undefined) await assertDpopKey(core, previous)
  const claims = previous?.claims()
  const params = new URLSearchParams()
  if (options.scope !== undefined) params.set('scope', options.scope)
  appendResources(params, options.resource)
  /** The last answer: a 200 that fails a check may still have spent the refresh token. */
  let answer: Response | undefined
  let fresh: TokenSet
  try {
    fresh = await tokenRequest(
      core,
      {
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        subject: claims?.sub,
        previousIssuer: claims?.iss,
      },
      async (http) => {
        answer = await oauth.refreshTokenGrantRequest(
          core.metadata,
          core.client,
          core.clientAuth,
          refreshToken,
          { ...http, additionalParameters: params },
        )
        return answer
      },
      (response) => oauth.processRefreshTokenResponse(core.server, core.client, response),
    )
  } catch (error) {
    const text = failedAnswerText(answer, error)
    throw text === undefined ? error : keepRotatedRefreshToken(error, text, refreshToken)
  }
  const keepIdToken = fresh.idToken === undefined && previous?.idToken !== undefined
  // No scope in the answer: the one asked for was granted (RFC 6749 §5.1), by default the
  // one granted before (§6).
  const scope = fresh.scope ?? options.scope ?? previous?.scope
  if (fresh.refreshToken !== undefined && !keepIdToken && fresh.scope === scope) return fresh
  const json = fresh.toJSON()
  json.refreshToken ??= refreshToken
  json.scope = scope
  if (keepIdToken) {
    json.idToken = previous.idToken
    json.idTokenClaims = claims
  }
  return new TokenSet(json)
}
