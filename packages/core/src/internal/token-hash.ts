/**
 * The left-half hashes of OpenID Connect Core §3.1.3.6 / §3.3.2.11 (at_hash, c_hash) and FAPI's
 * s_hash.
 *
 * @module
 */
import { encodeBase64Url } from './base64url.ts'

/** The hash function a JWS `alg` (and, for EdDSA, curve) implies; `undefined` if unknown. */
export function hashFor(alg: string, crv?: string): 'SHA-256' | 'SHA-384' | 'SHA-512' | undefined {
  if (alg === 'EdDSA' || alg === 'Ed25519') return crv === 'Ed448' ? undefined : 'SHA-512'
  const bits = /^(?:RS|PS|ES|HS)(256|384|512)$/.exec(alg)?.[1]
  return bits ? (`SHA-${bits}` as 'SHA-256' | 'SHA-384' | 'SHA-512') : undefined
}

/** base64url of the left half of the hash of `value`. */
export async function leftHalfHash(
  value: string,
  hash: 'SHA-256' | 'SHA-384' | 'SHA-512',
): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(value)))
  return encodeBase64Url(digest.subarray(0, digest.length / 2))
}
