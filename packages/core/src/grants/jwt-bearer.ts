/**
 * JWT bearer authorization grant (RFC 7523 §2.1).
 *
 * @module
 */
import type { ClientCore } from '../client-core.ts'
import { InvalidArgumentError } from '../errors.ts'
import type { TokenSet } from '../token-set.ts'
import { genericGrant, toSearchParams } from './generic.ts'

/** Options of `client.jwtBearer()` and `client.saml2Bearer()`: the assertion to redeem (RFC 7523, RFC 7522). */
export interface AssertionGrantOptions {
  assertion: string
  scope?: string
  signal?: AbortSignal
}

/**
 * Exchanges a signed JWT assertion for tokens.
 *
 * @example
 * ```ts
 * const tokens = await jwtBearer(core, { assertion: signedJwt, scope: 'api:read' })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 */
export async function jwtBearer(
  core: ClientCore,
  options: AssertionGrantOptions,
): Promise<TokenSet> {
  if (typeof options?.assertion !== 'string' || options.assertion === '')
    throw new InvalidArgumentError('jwtBearer needs an assertion')
  const params = toSearchParams({ assertion: options.assertion, scope: options.scope })
  return genericGrant(core, 'urn:ietf:params:oauth:grant-type:jwt-bearer', params, options.signal)
}
