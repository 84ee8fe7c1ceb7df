/**
 * The refresh token of a token response that failed its other checks.
 *
 * A provider that rotates refresh tokens has spent the old one as soon as it answers 200: if
 * that answer then fails a check (a bad `expires_in`, an ID token with a bad signature, a DPoP
 * binding missing), dropping all of it would leave the caller with only the spent token, and
 * sending that again revokes the grant at most providers. So the refresh path keeps the new
 * refresh token for the error, out of sight: nothing reachable from the error holds it (not a
 * property, not the message, not a cause), so no logger or `JSON.stringify` can print it; only
 * {@link rotatedRefreshToken}, given the error, hands it out. Nothing else of such an answer is
 * trusted.
 *
 * @module
 */
import { isJsonObject } from './internal/json-object.ts'

/**
 * Errors to the refresh token their answer carried. A WeakMap on purpose: the token must not be
 * reachable from the error itself (a dump of the error would print it), and it goes away with
 * the error.
 */
const kept = new WeakMap<object, string>()

/**
 * The new refresh token carried by a refresh response (HTTP 200) that failed another check,
 * when `error` came from such a response and the token differs from the one sent; else
 * `undefined`. Keep it (it replaces the one sent, which the provider has spent), trust nothing
 * else of that response, and never log it. `TokenManager` does this by itself.
 *
 * @example
 * ```ts
 * try {
 *   tokens = await client.refresh(tokens)
 * } catch (error) {
 *   const kept = rotatedRefreshToken(error)
 *   if (kept) tokens = new TokenSet({ ...tokens.toJSON(), refreshToken: kept })
 *   throw error
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export function rotatedRefreshToken(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  return kept.get(error)
}

/**
 * Keeps the `refresh_token` of `text` (a 200 answer that failed a check, perhaps cut short) for
 * `error`, when it is a new one. From JSON when the text parses, else from a complete
 * `"refresh_token": "..."` member of the text (a truncated or oversized answer). Returns `error`.
 */
export function keepRotatedRefreshToken(error: unknown, text: string, sent: string): unknown {
  const token = refreshTokenIn(text)
  if (token === undefined || token === '' || token === sent) return error
  if (typeof error !== 'object' || error === null) return error
  kept.set(error, token)
  return error
}

const MEMBER = /"refresh_token"\s*:\s*("(?:[^"\\]|\\.)*")/

function refreshTokenIn(text: string): string | undefined {
  let value: unknown
  try {
    const body: unknown = JSON.parse(text)
    value = isJsonObject(body) ? body.refresh_token : undefined
  } catch {
    // Cut short: a member whose string is complete (its closing quote is there) is whole.
    const match = MEMBER.exec(text)
    try {
      value = match ? JSON.parse(match[1] as string) : undefined
    } catch {
      value = undefined
    }
  }
  return typeof value === 'string' ? value : undefined
}
