/**
 * Resource owner password credentials grant (RFC 6749 §4.3). **Legacy**: the OAuth 2.0
 * Security BCP forbids it; use it only to migrate first-party apps. Never retried.
 *
 * @module
 */
import type { ClientCore } from '../client-core.ts'
import { InvalidArgumentError } from '../errors.ts'
import type { TokenSet } from '../token-set.ts'
import { genericGrant, toSearchParams } from './generic.ts'

/** Options of `client.password()` (RFC 6749 §4.3, legacy). */
export interface PasswordOptions {
  username: string
  password: string
  scope?: string
  signal?: AbortSignal
}

/**
 * Legacy password grant. An empty `username` or `password` is INVALID_ARGUMENT, before any
 * request.
 *
 * @example
 * ```ts
 * const tokens = await password(core, { username, password: secret, scope: 'openid' })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.3
 * @deprecated Legacy grant; prefer the authorization code flow.
 */
export async function password(core: ClientCore, options: PasswordOptions): Promise<TokenSet> {
  // RFC 6749 §4.3.2: both REQUIRED; §3.1 takes an empty one for a missing one.
  if (
    typeof options?.username !== 'string' ||
    typeof options.password !== 'string' ||
    options.username === '' ||
    options.password === ''
  )
    throw new InvalidArgumentError('password() needs non-empty username and password strings')
  const params = toSearchParams({
    username: options.username,
    password: options.password,
    scope: options.scope,
  })
  return genericGrant(core, 'password', params, options.signal)
}
