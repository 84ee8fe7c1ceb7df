/**
 * The parameters a caller may add to a request to the token or device authorization endpoint,
 * and the ones openrp sets itself.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.ts'

/** Parameters set from the client itself: the grant type and its authentication (RFC 6749 §2.3). */
export const CLIENT_PARAMS = [
  'grant_type',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
]

/**
 * `extraParams` as request parameters. INVALID_ARGUMENT for anything but an object of strings,
 * for a parameter openrp sets itself (`reserved`: e.g. {@link CLIENT_PARAMS}, a second client
 * authentication or a replaced grant type), and for one with an option of its own (`own`:
 * parameter to option name), which would escape that option's checks.
 */
export function extraParamsOf(
  extra: unknown,
  reserved: readonly string[],
  own: Record<string, string>,
): URLSearchParams {
  const params = new URLSearchParams()
  if (extra === undefined) return params
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra))
    throw new InvalidArgumentError('extraParams must be an object of strings')
  for (const [key, value] of Object.entries(extra)) {
    if (reserved.includes(key)) throw new InvalidArgumentError(`extraParams cannot set "${key}"`)
    if (Object.hasOwn(own, key))
      throw new InvalidArgumentError(`extraParams cannot set "${key}": use the ${own[key]} option`)
    if (typeof value !== 'string')
      throw new InvalidArgumentError(`extraParams.${key} must be a string`)
    params.set(key, value)
  }
  return params
}
