/**
 * Runtime-neutral names for the WebCrypto and Fetch types that appear in openrp's public API.
 * The DOM lib declares `CryptoKey`, `CryptoKeyPair`, `JsonWebKey` and `HeadersInit`, but a Node
 * project without `"DOM"` in `lib` (only `@types/node`), Deno and workerd name them differently
 * or not at all. These aliases resolve to the host's own `CryptoKey` where it declares one (a
 * DOM, Node, Deno or workerd `CryptoKey` fits as it is) and to a structural type otherwise.
 *
 * @module
 */
import type * as oauth from 'oauth4webapi'

/**
 * A WebCrypto key: the `CryptoKey` type of the host (DOM, `@types/node`, Deno, workerd), or a
 * structural stand-in where none is declared.
 *
 * @example
 * ```ts
 * import type { WebCryptoKey } from '@openrp/core'
 * const key: WebCryptoKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
 *   'encrypt',
 *   'decrypt',
 * ])
 * ```
 */
export type WebCryptoKey = oauth.CryptoKey

/**
 * An asymmetric key pair, as `crypto.subtle.generateKey()` returns it.
 *
 * @example
 * ```ts
 * import { discover, type WebCryptoKeyPair } from '@openrp/core'
 * const dpop = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
 *   'sign',
 *   'verify',
 * ])) as WebCryptoKeyPair
 * const client = await discover('https://op.example.com', { clientId: 'app', dpop })
 * ```
 */
export interface WebCryptoKeyPair {
  /** The private key (signs). */
  privateKey: WebCryptoKey
  /** The public key (verifies; its JWK goes into DPoP proofs). */
  publicKey: WebCryptoKey
}

/**
 * A JSON Web Key (RFC 7517): `kty` plus the key type's parameters (`crv`, `x`, `y`, `n`, `e`,
 * `d`, …) and optional `kid`, `alg`, `use`. A DOM or `@types/node` `JsonWebKey` fits.
 *
 * @example
 * ```ts
 * import type { Jwk } from '@openrp/core'
 * const publicKey: Jwk = { kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: 'k1' }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-4
 */
export type Jwk = oauth.JWK

/**
 * Request headers in any form the Fetch API's `Headers` constructor takes: a `Headers`
 * object, a record of names to values, or a list of `[name, value]` pairs.
 *
 * @example
 * ```ts
 * const init: HeadersLike = { accept: 'application/json' }
 * ```
 */
export type HeadersLike =
  | Headers
  | Record<string, string>
  | ReadonlyArray<readonly [string, string]>
  | Iterable<readonly [string, string]>
