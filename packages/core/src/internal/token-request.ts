/**
 * The frame of every token endpoint call: deadline, fetch policy, DPoP proof with one nonce
 * retry, response validation into a TokenSet.
 *
 * @module
 */
import type * as oauth from 'oauth4webapi'
import type { ClientCore } from '../client-core.ts'
import { boundToKey, withDpopNonceRetry } from '../dpop.ts'
import { InvalidArgumentError } from '../errors.ts'
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
  return operation(
    core,
    {
      signal: settings.signal,
      retry: settings.retry === true,
      context: 'token',
      timeoutMs: settings.timeoutMs,
    },
    async (http, deadline) => {
      // Without DPoP there is no handle to wait for, and no nonce to retry with. options.dpop is
      // false exactly when dpop() has no handle: buildCore and withDpop set the two together.
      const dpop = core.options.dpop === false ? undefined : await core.dpop()
      const options: TokenRequestOptions = dpop ? { ...http, DPoP: dpop } : http
      const expected: TokenResponseExpectations = {
        ...settings,
        // JWKS fetches for the ID token share this call's deadline.
        signal: deadline.signal,
        dpop: dpop !== undefined,
      }
      const attempt = async () => handleTokenResponse(core, await send(options), process, expected)
      if (dpop === undefined) return attempt()
      return boundToKey(await withDpopNonceRetry(core, attempt), dpop)
    },
  )
}

/** RFC 8707 `resource` parameters of a token request: one per indicator. */
export function appendResources(
  params: URLSearchParams,
  resource: string | string[] | undefined,
): void {
  if (Array.isArray(resource)) for (const item of resource) params.append('resource', item)
  else if (resource !== undefined) params.append('resource', resource)
}

/**
 * {@link appendResources} once each indicator is an absolute URI without a fragment (RFC 8707
 * §2), else INVALID_ARGUMENT. Client credentials and token exchange check; refresh() leaves it
 * to the provider (`invalid_target`), so that SPA bundles do not carry the check.
 */
export function appendCheckedResources(
  params: URLSearchParams,
  resource: string | string[] | undefined,
): void {
  for (const item of resource === undefined ? [] : [resource].flat()) {
    if (typeof item !== 'string' || !URL.canParse(item) || item.includes('#'))
      throw new InvalidArgumentError('resource must be an absolute URI without a fragment')
  }
  appendResources(params, resource)
}
