/**
 * Where the app may send the user after login or logout. Open redirects are a classic way to
 * turn a trusted login page into a phishing hop, so targets are checked, not trusted.
 *
 * @module
 */
import { OpenRpError } from '@openrp/core'

/**
 * Resolves `returnTo` against `origin` and checks it: it must be on the app's own origin and,
 * when `allowed` is given, equal one of its entries or start with one that ends in `/`.
 * Returns the path + query + fragment to keep, which is itself a path on `origin` (never
 * `//host`, never a backslash). Throws OpenRpError `REDIRECT_NOT_ALLOWED`.
 */
export function checkReturnTo(
  returnTo: string,
  origin: string,
  allowed: readonly string[] | undefined,
): string {
  let url: URL
  try {
    url = new URL(returnTo, `${origin}/`)
  } catch {
    throw notAllowed('returnTo is not a URL')
  }
  const target = url.pathname + url.search + url.hash
  // Dot segments can leave a path starting with `//` (`/.//evil.example`, `${origin}//evil`):
  // same origin as resolved here, but protocol-relative (another host) wherever the app uses
  // it. So the string handed back is checked too, not only the URL it came from.
  if (
    url.origin !== origin ||
    target.startsWith('//') ||
    target.includes('\\') ||
    new URL(target, url).origin !== origin
  )
    throw notAllowed('returnTo must stay on this origin')
  if (allowed && allowed.length > 0) {
    const ok = allowed.some((entry) => {
      const path = new URL(entry, `${origin}/`)
      if (path.origin !== origin) return false
      return path.pathname.endsWith('/')
        ? url.pathname.startsWith(path.pathname)
        : url.pathname === path.pathname
    })
    if (!ok) throw notAllowed('returnTo is not in allowedReturnTo')
  }
  return target
}

/**
 * Checks a post-logout redirect URI against the registered list (exact match, as providers
 * compare them). Throws OpenRpError `REDIRECT_NOT_ALLOWED`.
 */
export function checkPostLogoutTarget(target: string, allowed: readonly string[]): string {
  if (!allowed.includes(target)) throw notAllowed('returnTo is not an allowed post-logout target')
  return target
}

function notAllowed(message: string): OpenRpError {
  return new OpenRpError('REDIRECT_NOT_ALLOWED', message)
}
