/**
 * Token introspection (RFC 7662).
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { InvalidArgumentError, ValidationError } from './errors.ts'
import { operation } from './internal/operation.ts'
import { TokenSet } from './token-set.ts'

/** An introspection response (RFC 7662 §2.2): `active`, and for an active token its claims. */
export interface IntrospectionResult {
  active: boolean
  scope?: string
  client_id?: string
  username?: string
  token_type?: string
  exp?: number
  iat?: number
  nbf?: number
  sub?: string
  aud?: string | string[]
  iss?: string
  jti?: string
  [claim: string]: unknown
}

/** Options of `client.introspect()`. */
export interface IntrospectOptions {
  /** RFC 7662 §2.1 `token_type_hint`, e.g. `access_token` or `refresh_token`. */
  tokenTypeHint?: string
  signal?: AbortSignal
}

/**
 * Asks the provider whether a token is active. An inactive token is `{ active: false }` (and
 * nothing else the provider sent), not an error. A JWT answer (RFC 9701) is INVALID_RESPONSE.
 *
 * @example
 * ```ts
 * const { active, scope } = await introspect(core, accessToken, { tokenTypeHint: 'access_token' })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2
 */
export function introspect(
  core: ClientCore,
  token: string | TokenSet,
  options?: IntrospectOptions,
): Promise<IntrospectionResult>
/**
 * @deprecated Pass the hint in the options: `introspect(core, token, { tokenTypeHint })`.
 */
export function introspect(
  core: ClientCore,
  token: string | TokenSet,
  tokenTypeHint: string | undefined,
  options?: IntrospectOptions,
): Promise<IntrospectionResult>
export async function introspect(
  core: ClientCore,
  token: string | TokenSet,
  hintOrOptions?: string | IntrospectOptions,
  positionalOptions: IntrospectOptions = {},
): Promise<IntrospectionResult> {
  const options = optionsOf(hintOrOptions, positionalOptions)
  const tokenTypeHint = options.tokenTypeHint
  const value = token instanceof TokenSet ? token.accessToken : token
  if (typeof value !== 'string' || value === '')
    throw new InvalidArgumentError('introspect() needs a token')
  return operation(
    core,
    { signal: options.signal, retry: true, context: 'introspection' },
    async (http) => {
      const response = await oauth.introspectionRequest(
        core.metadata,
        core.client,
        core.clientAuth,
        value,
        {
          ...http,
          ...(tokenTypeHint !== undefined && {
            additionalParameters: { token_type_hint: tokenTypeHint },
          }),
        },
      )
      // openrp asks for JSON: a JWT answer (RFC 9701) would be unwrapped without its signature
      // being checked.
      if (response.headers.get('content-type')?.includes('token-introspection+jwt'))
        throw new ValidationError('INVALID_RESPONSE', 'The introspection answer is a JWT, not JSON')
      const result = (await oauth.processIntrospectionResponse(
        core.metadata,
        core.client,
        response,
      )) as IntrospectionResult
      // Nothing else of an inactive token is to be trusted (RFC 7662 §2.2).
      return result.active ? result : { active: false }
    },
  )
}

/**
 * The options of a call that once took `tokenTypeHint` as its third argument: an options object
 * there, or the deprecated positional hint (with options after it).
 */
export function optionsOf<T extends { tokenTypeHint?: string }>(
  hintOrOptions: string | T | undefined,
  positional: T,
): T {
  if (typeof hintOrOptions === 'object' && hintOrOptions !== null) return hintOrOptions
  return hintOrOptions === undefined ? positional : { ...positional, tokenTypeHint: hintOrOptions }
}
