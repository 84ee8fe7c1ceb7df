/**
 * Token revocation (RFC 7009).
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { InvalidArgumentError } from './errors.ts'
import { optionsOf } from './introspection.ts'
import { operation } from './internal/operation.ts'

/** Options of `client.revoke()`. */
export interface RevokeOptions {
  /** RFC 7009 §2.1 `token_type_hint`: `access_token` or `refresh_token`. */
  tokenTypeHint?: string
  signal?: AbortSignal
}

/**
 * Revokes a token (`refresh_token` revokes the grant at most providers). Idempotent, so it is
 * retried on 5xx / 429. The body of a 200 is ignored (RFC 7009 §2.2), also one larger than
 * `maxResponseBytes`: the token is revoked.
 *
 * @example
 * ```ts
 * if (tokens.refreshToken)
 *   await revoke(core, tokens.refreshToken, { tokenTypeHint: 'refresh_token' })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
export function revoke(core: ClientCore, token: string, options?: RevokeOptions): Promise<void>
/** @deprecated Pass the hint in the options: `revoke(core, token, { tokenTypeHint })`. */
export function revoke(
  core: ClientCore,
  token: string,
  tokenTypeHint: string | undefined,
  options?: RevokeOptions,
): Promise<void>
export async function revoke(
  core: ClientCore,
  token: string,
  hintOrOptions?: string | RevokeOptions,
  positionalOptions: RevokeOptions = {},
): Promise<void> {
  const options = optionsOf(hintOrOptions, positionalOptions)
  const tokenTypeHint = options.tokenTypeHint
  if (typeof token !== 'string' || token === '')
    throw new InvalidArgumentError('revoke() needs a token')
  return operation(
    core,
    // RFC 7009 §2.2: the client ignores the body of a 200, an oversized one too.
    { signal: options.signal, retry: true, ignoreOkBody: true, context: 'revocation' },
    async (http) => {
      const response = await oauth.revocationRequest(
        core.metadata,
        core.client,
        core.clientAuth,
        token,
        {
          ...http,
          ...(tokenTypeHint !== undefined && {
            additionalParameters: { token_type_hint: tokenTypeHint },
          }),
        },
      )
      await oauth.processRevocationResponse(response)
    },
  )
}
