/**
 * The tokens of hybrid and implicit authorization responses (OpenID Connect Core §3.2, §3.3):
 * the front-channel ID token verified with jose, then the code exchange (hybrid) or the token
 * set from the redirect itself (implicit). A core reaches this module only through
 * {@link withHybridAndImplicit}, so a code-flow bundle carries none of it.
 *
 * @module
 */
import {
  exchangeAuthorizationResponseCode,
  type HandleAuthorizationResponseOptions,
  invalidAuthorizationResponse,
} from './authorization-response.ts'
import type { ClientCore } from './client-core.ts'
import { validateIdToken } from './id-token.ts'
import { operation } from './internal/operation.ts'
import { tokenSetFromResponse } from './token-response.ts'
import { TokenSet } from './token-set.ts'
import type { AuthTransaction } from './transaction.ts'

/** The members of an implicit response that make its token set (not state, iss, session_state). */
const TOKEN_MEMBERS = ['access_token', 'token_type', 'expires_in', 'scope', 'id_token']

/**
 * Finishes an authorization response whose type carries an ID token (`code id_token`,
 * `code id_token token`, `id_token`, `id_token token`), after its state, `iss` and error were
 * checked: verifies the ID token against the transaction (nonce, max_age, at_hash / c_hash /
 * s_hash), then exchanges the code for the same subject, or builds the token set from the
 * response when it has no code. Throws `AUTHORIZATION_RESPONSE_INVALID` without an ID token.
 *
 * @example
 * ```ts
 * // What handleAuthorizationResponse runs for a core made with withHybridAndImplicit()
 * const tokens = await handleFrontChannelResponse(core, params, transaction)
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#HybridIDTValidation
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ImplicitIDTValidation
 */
export async function handleFrontChannelResponse(
  core: ClientCore,
  params: URLSearchParams,
  transaction: AuthTransaction,
  options: HandleAuthorizationResponseOptions = {},
): Promise<TokenSet> {
  const idToken = params.get('id_token')
  if (!idToken) throw invalidAuthorizationResponse('has no id_token')
  const code = params.get('code') ?? undefined
  const accessToken = params.get('access_token') ?? undefined
  const claims = await operation(
    core,
    { signal: options.signal, retry: false, context: 'id_token' },
    (_http, deadline) =>
      validateIdToken(core, idToken, {
        nonce: transaction.nonce,
        maxAge: transaction.maxAge,
        accessToken,
        requireAtHash: accessToken !== undefined,
        code,
        requireCHash: code !== undefined,
        state: transaction.state,
        signal: deadline.signal,
      }),
  )
  if (code) return exchangeAuthorizationResponseCode(core, params, transaction, claims, options)
  if (accessToken) {
    const body: Record<string, string> = {}
    for (const name of TOKEN_MEMBERS) {
      const value = params.get(name)
      if (value !== null) body[name] = value
    }
    return tokenSetFromResponse(body, claims, false, core.options.clock.now())
  }
  return new TokenSet({ accessToken: '', tokenType: 'none', idToken, idTokenClaims: claims })
}
