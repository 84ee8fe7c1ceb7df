/**
 * A {@link Store} wrapper that encrypts values at rest with AES-GCM (WebCrypto only).
 *
 * @module
 */
import { InvalidArgumentError, StoreError } from './errors.ts'
import { decodeBase64Url, encodeBase64Url } from './internal/base64url.ts'
import type { Store, StoreGetOptions, StoreSetOptions } from './store.ts'
import { parseStoredJson, toStoredJson } from './store-value.ts'
import type { WebCryptoKey } from './key-types.ts'

/**
 * The AES key of an {@link EncryptedStore}: 32 raw bytes (imported as a non-extractable
 * AES-GCM key), an AES-GCM `CryptoKey` with `encrypt` and `decrypt` usages, or a function
 * that resolves to such a `CryptoKey`, called on first use (and again after it failed), e.g.
 * to load the key from a key store.
 */
export type EncryptedStoreKey = Uint8Array | WebCryptoKey | (() => Promise<WebCryptoKey>)

/** Options of {@link EncryptedStore}. */
export interface EncryptedStoreOptions {
  /**
   * The AES key. Keep it outside the store it protects, e.g. in a secret manager or an
   * environment variable.
   */
  key: EncryptedStoreKey
}

/** What the inner store keeps instead of the value (the same in every runtime). */
interface Ciphertext {
  v: 1
  alg: 'A256GCM'
  /** 96-bit IV, base64url. */
  iv: string
  /** Ciphertext with its 128-bit tag, base64url. */
  ct: string
}

/**
 * Encrypts every value with AES-256-GCM before it reaches `inner` (a file, Redis or IndexedDB
 * store...), so tokens and secrets are unreadable at rest without the key. Each write uses a
 * fresh random IV; the store key is bound as additional authenticated data, so a ciphertext
 * copied to another key, or altered in any way, fails to decrypt. Such tampering, a wrong key
 * or a value this store did not write gives a `StoreError` on `get`; nothing is returned.
 *
 * A `CryptoKey` that is not an AES-GCM key for `encrypt` and `decrypt` is refused here with
 * `InvalidArgumentError`; raw bytes are copied here, imported and checked on first use.
 * `ttlSec` is passed through to `inner`.
 *
 * `@openrp/node` exports this class as it is; `@openrp/browser` exports a subclass whose key
 * is by default generated once and kept, non-extractable, in IndexedDB.
 *
 * @example
 * ```ts
 * import { EncryptedStore, RedisStore } from '@openrp/node'
 * const key = Buffer.from(process.env.TOKEN_KEY!, 'base64') // 32 bytes
 * const store = new EncryptedStore(new RedisStore({ url: process.env.REDIS_URL }), { key })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-5.3 (AES GCM)
 */
export class EncryptedStore implements Store {
  readonly #inner: Store
  readonly #keySource: EncryptedStoreKey | undefined
  #key: Promise<CryptoKey> | undefined

  constructor(inner: Store, options: EncryptedStoreOptions) {
    if (!inner) throw new InvalidArgumentError('EncryptedStore needs an inner store')
    const key = options?.key
    if (isCryptoKey(key) && !isAesGcmKey(key)) {
      throw new InvalidArgumentError('EncryptedStore key must be an AES-GCM CryptoKey')
    }
    this.#inner = inner
    // A copy: the caller may wipe or reuse its buffer once the store is made.
    this.#keySource = key instanceof Uint8Array ? new Uint8Array(key) : key
  }

  async get<T = unknown>(key: string, options?: StoreGetOptions): Promise<T | undefined> {
    const stored = await this.#inner.get(key, options)
    if (stored === undefined) return undefined
    if (!isCiphertext(stored)) throw new StoreError('EncryptedStore found a value it did not write')
    const cryptoKey = await this.#cryptoKey()
    let plaintext: ArrayBuffer
    try {
      plaintext = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: decodeBase64Url(stored.iv), additionalData: aad(key) },
        cryptoKey,
        decodeBase64Url(stored.ct),
      )
    } catch (cause) {
      throw new StoreError('EncryptedStore could not decrypt a value (tampered or wrong key)', {
        cause,
      })
    }
    return parseStoredJson<T>(new TextDecoder().decode(plaintext), 'EncryptedStore')
  }

  async set(key: string, value: unknown, options?: StoreSetOptions): Promise<void> {
    const json = toStoredJson(value)
    const cryptoKey = await this.#cryptoKey()
    const iv = crypto.getRandomValues(new Uint8Array(12))
    let ct: ArrayBuffer
    try {
      ct = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: aad(key) },
        cryptoKey,
        new TextEncoder().encode(json),
      )
    } catch (cause) {
      throw new StoreError('EncryptedStore could not encrypt a value', { cause })
    }
    const envelope: Ciphertext = {
      v: 1,
      alg: 'A256GCM',
      iv: encodeBase64Url(iv),
      ct: encodeBase64Url(new Uint8Array(ct)),
    }
    await this.#inner.set(key, envelope, options)
  }

  delete(key: string): Promise<void> {
    return this.#inner.delete(key)
  }

  /** The key, resolved once; a failure is not kept, so the next call tries again. */
  #cryptoKey(): Promise<CryptoKey> {
    this.#key ??= resolveKey(this.#keySource).catch((error: unknown) => {
      this.#key = undefined
      throw error
    })
    return this.#key
  }
}

async function resolveKey(source: EncryptedStoreKey | undefined): Promise<CryptoKey> {
  if (source instanceof Uint8Array) {
    if (source.byteLength !== 32) {
      throw new InvalidArgumentError('EncryptedStore key must be 32 bytes (AES-256)')
    }
    return crypto.subtle.importKey('raw', new Uint8Array(source), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ])
  }
  if (typeof source === 'function') {
    const key = await source()
    if (!isAesGcmKey(key))
      throw new StoreError('EncryptedStore was given a key that is not AES-GCM')
    return key
  }
  if (isAesGcmKey(source)) return source
  throw new InvalidArgumentError('EncryptedStore key must be 32 bytes or an AES-GCM CryptoKey')
}

function isCryptoKey(key: unknown): key is CryptoKey {
  return typeof CryptoKey !== 'undefined' && key instanceof CryptoKey
}

function isAesGcmKey(key: unknown): key is CryptoKey {
  return (
    isCryptoKey(key) &&
    key.algorithm.name === 'AES-GCM' &&
    key.usages.includes('encrypt') &&
    key.usages.includes('decrypt')
  )
}

function aad(key: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`openrp:EncryptedStore:v1:${key}`)
}

function isCiphertext(value: unknown): value is Ciphertext {
  if (typeof value !== 'object' || value === null) return false
  const c = value as Partial<Ciphertext>
  return c.v === 1 && c.alg === 'A256GCM' && typeof c.iv === 'string' && typeof c.ct === 'string'
}
