/**
 * Removing an authorization response from the address bar, so codes, state and tokens do not
 * stay in history, bookmarks, screenshots or `Referer` headers.
 *
 * @module
 */

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

/**
 * The same URL without authorization response parameters, in the query and in the fragment.
 * Other parameters (an app's own `?tab=2` or `#/route`) are kept.
 *
 * @example
 * ```ts
 * stripAuthorizationResponse('https://app.test/?code=x&state=y&tab=2#id_token=z')
 * // 'https://app.test/?tab=2'
 * ```
 */
export function stripAuthorizationResponse(url: string | URL): string {
  const clean = new URL(url)
  for (const name of AUTHORIZATION_RESPONSE_PARAMS) clean.searchParams.delete(name)
  const fragment = clean.hash.slice(1)
  if (fragment.includes('=')) {
    const params = new URLSearchParams(fragment)
    for (const name of AUTHORIZATION_RESPONSE_PARAMS) params.delete(name)
    const rest = params.toString()
    clean.hash = rest ? `#${rest}` : ''
  }
  let text = clean.toString()
  // `new URL('https://a/?')` keeps a lone '?' or '#'; drop them for a tidy address bar.
  text = text.replace(/\?(?=#|$)/, '').replace(/#$/, '')
  return text
}

/**
 * The authorization response parameters of `url`: the fragment when it holds `state`, `code`,
 * tokens or `error` (implicit and hybrid responses), otherwise the query.
 */
export function authorizationResponseParams(url: string | URL): URLSearchParams {
  const parsed = new URL(url)
  const fragment = new URLSearchParams(parsed.hash.slice(1))
  const fragmentHasResponse = ['state', 'code', 'id_token', 'access_token', 'error'].some((name) =>
    fragment.has(name),
  )
  return fragmentHasResponse ? fragment : parsed.searchParams
}

/** Whether `url` carries an authorization response (success or error) in query or fragment. */
export function hasAuthorizationResponse(url: string | URL): boolean {
  const params = authorizationResponseParams(url)
  return params.has('state') || params.has('code') || params.has('error') || params.has('id_token')
}
