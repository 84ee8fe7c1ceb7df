/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
 *
 * @module
 */
import type { ClientCore } from './client-core.ts'
import { InvalidArgumentError, OpenRpError, ValidationError } from './errors.ts'
import { TokenSet } from './token-set.ts'

/** Options of `client.endSessionUrl()` (OpenID Connect RP-Initiated Logout 1.0). */
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

/**
 * Checks the post-logout redirect the provider sent the user back to: its `state` must be the
 * one given to {@link endSessionUrl}. Throws `STATE_MISSING` when it has none and
 * `STATE_MISMATCH` when it is another (forged, replayed, or of another logout). Until this
 * passes, nothing the redirect carries (e.g. where to go next) may be trusted.
 *
 * @example
 * ```ts
 * const expected = await store.get<string>('logout-state') // kept when the logout started
 * await store.delete('logout-state')
 * if (expected === undefined) throw new Error('No logout of ours is pending')
 * validateEndSessionResponse(request.url, expected)
 * ```
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RedirectionAfterLogout
 */
export function validateEndSessionResponse(
  input: string | URL | URLSearchParams,
  expectedState: string,
): void {
  if (typeof expectedState !== 'string' || expectedState === '')
    throw new InvalidArgumentError('expectedState must be the non-empty state sent at logout')
  let params: URLSearchParams
  if (input instanceof URLSearchParams) params = input
  else if (input instanceof URL) params = input.searchParams
  else if (typeof input === 'string')
    params = URL.canParse(input)
      ? new URL(input).searchParams
      : new URLSearchParams(input.replace(/^\?/, ''))
  else throw new InvalidArgumentError('Expected the post-logout redirect URL or its parameters')
  const states = params.getAll('state')
  if (states.length === 0 || states[0] === '')
    throw new ValidationError('STATE_MISSING', 'The post-logout redirect carries no state')
  if (states.length > 1 || states[0] !== expectedState)
    throw new ValidationError('STATE_MISMATCH', 'The post-logout redirect state is not ours')
}
