/**
 * Authorization code grant (RFC 6749 §4.1.3) with PKCE. Never retried blindly: a replayed code
 * revokes what it issued.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from '../client-core.ts'
import { tokenRequest } from '../internal/token-request.ts'
import type { TokenSet } from '../token-set.ts'
import { type AuthTransaction, idTokenRequired } from '../transaction.ts'

/** Options of {@link exchangeAuthorizationCode}. */
export interface CodeExchangeOptions {
  /** Aborts the token request. */
  signal?: AbortSignal | undefined
  /**
   * This request's deadline instead of the client's `timeoutMs`: the code is spent when the
   * request arrives, so a late answer holds the only tokens it will give.
   */
  timeoutMs?: number | undefined
  /** Hybrid flows: the front-channel ID token's `sub`, which the new ID token must repeat. */
  subject?: string | undefined
}

/**
 * Redeems a code. `callbackParameters` must come from oauth4webapi's `validateAuthResponse`
 * (handleAuthorizationResponse does this): unvalidated parameters cannot reach the token endpoint.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 */
export async function exchangeAuthorizationCode(
  core: ClientCore,
  callbackParameters: URLSearchParams,
  transaction: AuthTransaction,
  options: CodeExchangeOptions = {},
): Promise<TokenSet> {
  const openid = idTokenRequired(transaction)
  return tokenRequest(
    core,
    {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      nonce: transaction.nonce,
      maxAge: transaction.maxAge,
      subject: options.subject,
      requireIdToken: openid,
    },
    (http) =>
      oauth.authorizationCodeGrantRequest(
        core.metadata,
        core.client,
        core.clientAuth,
        callbackParameters,
        transaction.redirectUri,
        transaction.codeVerifier ?? oauth.nopkce,
        http,
      ),
    (response) =>
      oauth.processAuthorizationCodeResponse(core.server, core.client, response, {
        expectedNonce: transaction.nonce ?? oauth.expectNoNonce,
        maxAge: transaction.maxAge ?? oauth.skipAuthTimeCheck,
        requireIdToken: openid,
      }),
  )
}
