/**
 * The frame of every token endpoint call: deadline, fetch policy, DPoP proof with one nonce
 * retry, response validation into a TokenSet.
 *
 * @module
 */
import type * as oauth from 'oauth4webapi'
import type { ClientCore } from '../client-core.ts'
import { boundToKey, withDpopNonceRetry } from '../dpop.ts'
import { handleTokenResponse, type TokenResponseExpectations } from '../token-response.ts'
import type { TokenSet } from '../token-set.ts'
import { type HttpOptions, operation } from './operation.ts'

export type TokenRequestOptions = HttpOptions & { DPoP?: oauth.DPoPHandle }

export interface TokenCallSettings extends Omit<TokenResponseExpectations, 'dpop'> {
  signal?: AbortSignal | undefined
  /** Only for grants safe to replay (client credentials). */
  retry?: boolean
  /** This call's deadline instead of the client's `timeoutMs`. */
  timeoutMs?: number | undefined
}

/** Sends a token request built by `send` and validates its answer with `process`. */
export function tokenRequest(
  core: ClientCore,
  settings: TokenCallSettings,
  send: (options: TokenRequestOptions) => Promise<Response>,
  process: (response: Response) => Promise<oauth.TokenEndpointResponse>,
): Promise<TokenSet> {
  const { retry = false, timeoutMs, ...expected } = settings
  return operation(
    core,
    { signal: settings.signal, retry, context: 'token', timeoutMs },
    async (http, deadline) => {
      const dpop = await core.dpop()
      const options: TokenRequestOptions = dpop ? { ...http, DPoP: dpop } : http
      const tokens = await withDpopNonceRetry(core, async () => {
        const response = await send(options)
        return handleTokenResponse(core, response, process, {
          ...expected,
          // JWKS fetches for the ID token share this call's deadline.
          signal: deadline.signal,
          dpop: dpop !== undefined,
        })
      })
      return dpop ? boundToKey(tokens, dpop) : tokens
    },
  )
}
