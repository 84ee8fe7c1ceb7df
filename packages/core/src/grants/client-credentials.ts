/**
 * Client credentials grant (RFC 6749 §4.4), for daemons and services. Safe to repeat, so it
 * is retried on 5xx / 429 / network errors like a GET (each attempt a new request, with a fresh
 * client assertion and DPoP proof).
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from '../client-core.ts'
import { InvalidArgumentError } from '../errors.ts'
import { CLIENT_PARAMS, extraParamsOf } from '../internal/extra-params.ts'
import { appendCheckedResources, tokenRequest } from '../internal/token-request.ts'
import type { TokenSet } from '../token-set.ts'

/** Options of `client.clientCredentials()` (RFC 6749 §4.4). */
export interface ClientCredentialsOptions {
  scope?: string
  /** RFC 8707 resource indicator(s). */
  resource?: string | string[]
  /** Audience of the token (a common vendor parameter). */
  audience?: string
  /**
   * Further parameters. Not the ones openrp sets (`grant_type`, client authentication) or that
   * have an option here (`scope`, `audience`, `resource`): INVALID_ARGUMENT.
   */
  extraParams?: Record<string, string>
  signal?: AbortSignal
  /**
   * Retry on network errors, 408 / 425 / 429 and 5xx as the client's `retry` option says
   * (default `true`). `false` sends one request: for callers that keep their own backoff, so
   * that it is the only retry policy during an outage (`ClientCredentialsProvider` does this).
   */
  retry?: boolean
}

/**
 * Requests a machine-to-machine token.
 *
 * @example
 * ```ts
 * const tokens = await clientCredentials(core, { scope: 'api:read', audience: 'https://api.example.com' })
 * // One request, no retries (the caller backs off itself):
 * const once = await clientCredentials(core, { scope: 'api:read', retry: false })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export async function clientCredentials(
  core: ClientCore,
  options: ClientCredentialsOptions = {},
): Promise<TokenSet> {
  const params = extraParamsOf(options.extraParams, CLIENT_PARAMS, {
    scope: 'scope',
    audience: 'audience',
    resource: 'resource',
  })
  for (const name of ['scope', 'audience'] as const) {
    const value = options[name]
    if (value === undefined) continue
    // An empty value counts as none (RFC 6749 §3.1): a token for the client's default, wider
    // than asked for; an array would become "a,b".
    if (typeof value !== 'string' || value === '')
      throw new InvalidArgumentError(`${name} must be a non-empty string`)
    params.set(name, value)
  }
  appendCheckedResources(params, options.resource)
  return tokenRequest(
    core,
    // Each retry builds a new request: a fresh client assertion and DPoP proof, never a replay.
    { signal: options.signal, retry: options.retry !== false },
    (http) =>
      oauth.clientCredentialsGrantRequest(
        core.metadata,
        core.client,
        core.clientAuth,
        params,
        http,
      ),
    (response) => oauth.processClientCredentialsResponse(core.server, core.client, response),
  )
}
