/**
 * Removing an authorization response from the address bar, so codes, state and tokens do not
 * stay in history, bookmarks, screenshots or `Referer` headers.
 *
 * @module
 */
import { InvalidArgumentError } from '@openrp/core'

/**
 * Parameters of an authorization response (RFC 6749 §4.1.2, §4.2.2, OpenID Connect Core §3.3.2.5,
 * RFC 9207 `iss`, OpenID Session Management `session_state`) that
 * {@link stripAuthorizationResponse} removes from the query and the fragment.
 */
export const AUTHORIZATION_RESPONSE_PARAMS: readonly string[] = [
  'code',
  'state',
  'iss',
  'session_state',
  'id_token',
  'access_token',
  'token_type',
  'expires_in',
  'scope',
  'refresh_token',
  'error',
  'error_description',
  'error_uri',
]

/** Parameters only an authorization response carries next to `state`. */
const RESULT_PARAMS = ['code', 'error', 'access_token', 'id_token']

/** A `state` alone: a return from the provider's logout, or an app's own `?state=CA`. */
const LOGOUT_RETURN_PARAMS = ['state', 'iss', 'session_state']

/**
 * Tells whether a `state` that comes back alone (no code, error or token) belongs to a pending
 * logout of this client. Without it, a lone `state` counts only when nothing but `state`,
 * `iss` and `session_state` is in that part of the URL (a bare post-logout return).
 */
export type PendingStateCheck = (state: string) => boolean

/**
 * The same URL without authorization response parameters, in the part (query or fragment) that
 * holds the response. A URL that is not an authorization response comes back as it is: an
 * app's own `?state=open` or hash route `#/orders?tab=2` is never touched, and the parameters
 * kept are not re-encoded. A `url` that is no absolute URL throws `INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * stripAuthorizationResponse('https://app.test/?code=x&state=y&tab=2#/orders?tab=2')
 * // 'https://app.test/?tab=2#/orders?tab=2'
 * ```
 */
export function stripAuthorizationResponse(
  url: string | URL,
  isPendingState?: PendingStateCheck,
): string {
  return strip(url, (params) => isResponse(params, isPendingState))
}

/**
 * What `SpaClient.handleRedirectCallback()` leaves in the address bar: the URL as
 * {@link stripAuthorizationResponse} leaves it, and without a `code`, `error` or token that came
 * without `state` either (a provider bug or a crafted link, refused with `STATE_MISSING`). Only
 * for a URL the app asked to handle as a callback: an app's own `?code=PROMO` elsewhere is kept.
 *
 * @example
 * ```ts
 * stripHandledResponse('https://app.test/?code=x&tab=2#/orders', () => false)
 * // 'https://app.test/?tab=2#/orders'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 */
export function stripHandledResponse(url: string, isPendingState: PendingStateCheck): string {
  return strip(
    url,
    (params) => isResponse(params, isPendingState) || RESULT_PARAMS.some((n) => params.has(n)),
  )
}

/** `url` without the response parameters of the first part (fragment, query) `isIn` accepts. */
function strip(url: string | URL, isIn: (params: URLSearchParams) => boolean): string {
  const parsed = absoluteUrl(url)
  let query = parsed.search.slice(1)
  let fragment = parsed.hash.slice(1)
  if (isIn(fragmentParams(fragment))) fragment = withoutResponse(fragment)
  else if (isIn(parsed.searchParams)) query = withoutResponse(query)
  else return parsed.href
  const base = parsed.href.split(/[?#]/, 1)[0]
  return `${base}${query ? `?${query}` : ''}${fragment ? `#${fragment}` : ''}`
}

/**
 * The authorization response parameters of `url`: the fragment when it holds `state`, `code`,
 * tokens or `error` (implicit and hybrid responses), otherwise the query. A hash route
 * (`#/path?…`) is never read as a response.
 */
export function authorizationResponseParams(url: string | URL): URLSearchParams {
  const parsed = absoluteUrl(url)
  const fragment = fragmentParams(parsed.hash.slice(1))
  const fragmentHasResponse = ['state', ...RESULT_PARAMS].some((name) => fragment.has(name))
  return fragmentHasResponse ? fragment : parsed.searchParams
}

/**
 * Whether `url` carries an authorization response: `state` with a `code`, an `error` or a
 * token, in the query or the fragment; or a `state` alone that `isPendingState` recognises as a
 * logout of this client (see {@link PendingStateCheck} for the rule without it).
 */
export function hasAuthorizationResponse(
  url: string | URL,
  isPendingState?: PendingStateCheck,
): boolean {
  const parsed = absoluteUrl(url)
  return (
    isResponse(fragmentParams(parsed.hash.slice(1)), isPendingState) ||
    isResponse(parsed.searchParams, isPendingState)
  )
}

/** `url` parsed; InvalidArgumentError (not a TypeError) when it is no absolute URL. */
function absoluteUrl(url: string | URL): URL {
  try {
    return new URL(url)
  } catch {
    throw new InvalidArgumentError('url must be an absolute URL')
  }
}

function isResponse(params: URLSearchParams, isPendingState?: PendingStateCheck): boolean {
  const state = params.get('state')
  if (!state) return false
  if (RESULT_PARAMS.some((name) => params.has(name))) return true
  if (isPendingState) return isPendingState(state)
  return [...params.keys()].every((name) => LOGOUT_RETURN_PARAMS.includes(name))
}

/** A fragment read as parameters; a hash route (`/…`, `!/…`) holds none. */
function fragmentParams(fragment: string): URLSearchParams {
  return /^!?\//.test(fragment) ? new URLSearchParams() : new URLSearchParams(fragment)
}

/** `a=1&code=x&b=2` without the response parameters, the others kept byte for byte. */
function withoutResponse(part: string): string {
  return part
    .split('&')
    .filter(
      (pair) =>
        pair !== '' &&
        // The name as a form parser reads it (`+`, `%63ode`), never throwing.
        !AUTHORIZATION_RESPONSE_PARAMS.includes([...new URLSearchParams(pair).keys()][0]!),
    )
    .join('&')
}
