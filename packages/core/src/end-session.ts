/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
 *
 * @module
 */
import type { ClientCore } from './client-core.ts'
import { InvalidArgumentError, OpenRpError } from './errors.ts'
import { TokenSet } from './token-set.ts'

export interface EndSessionOptions {
  /** The ID token (or a TokenSet holding it) of the session to end. */
  idTokenHint?: string | TokenSet
  /** Default: the client's `postLogoutRedirectUri` option. */
  postLogoutRedirectUri?: string
  /** Round-trips to the post-logout redirect; compare it there before trusting the redirect. */
  state?: string
  logoutHint?: string
  uiLocales?: string
  extraParams?: Record<string, string>
}

/**
 * The provider's logout URL. Sends `client_id` always (so providers can validate the redirect
 * without an ID token).
 *
 * @example
 * ```ts
 * location.assign(endSessionUrl(core, { idTokenHint: tokens, state }))
 * ```
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 */
export function endSessionUrl(core: ClientCore, options: EndSessionOptions = {}): URL {
  const endpoint = core.metadata.end_session_endpoint
  if (typeof endpoint !== 'string')
    throw new OpenRpError('UNSUPPORTED', 'The provider has no end_session_endpoint')
  const url = new URL(endpoint)
  for (const [key, value] of Object.entries(options.extraParams ?? {})) {
    if (typeof value !== 'string')
      throw new InvalidArgumentError(`extraParams.${key} must be a string`)
    url.searchParams.set(key, value)
  }
  const hint =
    options.idTokenHint instanceof TokenSet ? options.idTokenHint.idToken : options.idTokenHint
  const redirect = options.postLogoutRedirectUri ?? core.options.postLogoutRedirectUri
  const params: Record<string, unknown> = {
    client_id: core.options.clientId,
    id_token_hint: hint,
    post_logout_redirect_uri: redirect,
    state: options.state,
    logout_hint: options.logoutHint,
    ui_locales: options.uiLocales,
  }
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue
    if (typeof value !== 'string') throw new InvalidArgumentError(`${key} must be a string`)
    url.searchParams.set(key, value)
  }
  return url
}
