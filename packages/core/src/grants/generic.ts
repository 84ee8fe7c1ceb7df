/**
 * Any other grant (vendor grants, extension grants) through the token endpoint.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from '../client-core.ts'
import { InvalidArgumentError } from '../errors.ts'
import { CLIENT_PARAMS } from '../internal/extra-params.ts'
import { tokenRequest } from '../internal/token-request.ts'
import type { TokenSet } from '../token-set.ts'

/** Options of `client.grant()`. */
export interface GrantOptions {
  signal?: AbortSignal
}

/** Parameters of a token request: strings, or lists for repeated parameters. */
export type GrantParams = Record<string, string | string[] | undefined>

/** Grants with a method of their own, whose checks this generic path would skip. */
const OWN_METHOD: Record<string, string> = {
  authorization_code: 'handleAuthorizationResponse()',
  refresh_token: 'refresh()',
  'urn:ietf:params:oauth:grant-type:token-exchange':
    "tokenExchange() (a provider's own parameters go in its extraParams)",
}

/**
 * Sends `grant_type=grantType` with `params` and validates the answer like any token response
 * (an ID token in it is fully validated). Not retried. `authorization_code`, `refresh_token` and
 * token exchange are refused (INVALID_ARGUMENT): they go through handleAuthorizationResponse(),
 * refresh() and tokenExchange(), which check the transaction, keep a rotated refresh token and
 * require `issued_token_type` (RFC 8693 §2.2.1). So are params named
 * `grant_type` or carrying client authentication (`client_id`, `client_secret`,
 * `client_assertion`, `client_assertion_type`): the client options authenticate, with one method.
 *
 * @example
 * ```ts
 * const org = await grant(core, 'organization_switch', { token: tokens.accessToken, switching_organization: 'acme' })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.5
 */
export async function grant(
  core: ClientCore,
  grantType: string,
  params: GrantParams = {},
  options: GrantOptions = {},
): Promise<TokenSet> {
  if (typeof grantType !== 'string' || grantType === '')
    throw new InvalidArgumentError('grantType must be a non-empty string')
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options must be an object')
  if (Object.hasOwn(OWN_METHOD, grantType))
    throw new InvalidArgumentError(
      `grant() does not send ${grantType}: use ${OWN_METHOD[grantType]}`,
    )
  const search = toSearchParams(params)
  for (const name of CLIENT_PARAMS) {
    if (search.has(name)) throw new InvalidArgumentError(`grant() params cannot set "${name}"`)
  }
  return genericGrant(core, grantType, search, options.signal)
}

/**
 * Shared by the named extension grants. `processing` goes to oauth4webapi's response checks
 * (e.g. token types the grant recognises besides `Bearer` and `DPoP`).
 */
export function genericGrant(
  core: ClientCore,
  grantType: string,
  params: URLSearchParams,
  signal: AbortSignal | undefined,
  processing?: oauth.ProcessTokenResponseOptions,
): Promise<TokenSet> {
  return tokenRequest(
    core,
    { signal },
    (http) =>
      oauth.genericTokenEndpointRequest(
        core.metadata,
        core.client,
        core.clientAuth,
        grantType,
        params,
        http,
      ),
    (response) =>
      oauth.processGenericTokenEndpointResponse(core.server, core.client, response, processing),
  )
}

/** Builds form parameters, refusing anything but an object of strings with INVALID_ARGUMENT. */
export function toSearchParams(params: GrantParams): URLSearchParams {
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    throw new InvalidArgumentError('params must be an object')
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue
    for (const item of [value].flat()) {
      if (typeof item !== 'string')
        throw new InvalidArgumentError(`parameter "${key}" must be a string`)
      search.append(key, item)
    }
  }
  return search
}
