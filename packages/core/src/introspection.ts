/**
 * Token introspection (RFC 7662).
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { InvalidArgumentError } from './errors.ts'
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
  signal?: AbortSignal
}

/**
 * Asks the provider whether a token is active. An inactive token is `{ active: false }`, not an
 * error.
 *
 * @example
 * ```ts
 * const { active, scope } = await introspect(core, accessToken, 'access_token')
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2
 */
export async function introspect(
  core: ClientCore,
  token: string | TokenSet,
  tokenTypeHint?: string,
  options: IntrospectOptions = {},
): Promise<IntrospectionResult> {
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
      return (await oauth.processIntrospectionResponse(
        core.metadata,
        core.client,
        response,
      )) as IntrospectionResult
    },
  )
}
