/** Small helpers over WebCrypto and jose's base64url. */
import { base64url } from 'jose'

/** A random, URL-safe identifier with `bytes` bytes of entropy. */
export function randomId(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)))
}

/** base64url(SHA-256(ascii(value))). */
export async function sha256(value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value))
  return base64url.encode(new Uint8Array(digest))
}

/**
 * The OIDC `at_hash` / `c_hash` / `s_hash` value: base64url of the left half of the hash of
 * the ASCII value, the hash matching the ID token's alg (SHA-256 for RS256 / ES256 / HS256).
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeIDToken
 */
export async function halfHash(value: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)),
  )
  return base64url.encode(digest.slice(0, digest.length / 2))
}

/** Compares two secrets without an early exit (both are hashed first, so lengths do not leak). */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([sha256(a), sha256(b)])
  let diff = 0
  for (let i = 0; i < ha.length; i++) diff |= ha.charCodeAt(i) ^ hb.charCodeAt(i)
  return diff === 0
}
