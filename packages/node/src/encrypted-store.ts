/**
 * A {@link Store} wrapper that encrypts values at rest with AES-GCM (WebCrypto).
 *
 * @module
 */
import { InvalidArgumentError, StoreError, type Store, type StoreSetOptions } from '@openrp/core'

/** What the inner store keeps instead of the value. */
interface Ciphertext {
  v: 1
  alg: 'A256GCM'
  /** 96-bit IV, base64url. */
  iv: string
  /** Ciphertext with its 128-bit tag, base64url. */
  ct: string
}

export interface EncryptedStoreOptions {
  /**
   * The AES key: 32 raw bytes (imported as a non-extractable AES-GCM key) or an AES-GCM
   * `CryptoKey` with `encrypt` and `decrypt` usages. Keep it outside the store it protects,
   * e.g. in a secret manager or an environment variable.
   */
  key: Uint8Array | CryptoKey
}

/**
 * Encrypts every value with AES-256-GCM before it reaches `inner` (a FileStore, a RedisStore,
 * ...), so tokens and secrets are unreadable at rest without the key. Each write uses a fresh
 * random IV; the store key is bound as additional authenticated data, so a ciphertext copied to
 * another key, or altered in any way, fails to decrypt. Such tampering, or a wrong key, gives a
 * `StoreError` on `get`; nothing is returned.
 *
 * `ttlSec` is passed through to `inner`.
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
  readonly #key: Promise<CryptoKey>

  constructor(inner: Store, options: EncryptedStoreOptions) {
    if (!inner) throw new InvalidArgumentError('EncryptedStore needs an inner store')
    this.#inner = inner
    this.#key = importKey(options?.key)
    // Surface a bad key on first use, not as an unhandled rejection now.
    this.#key.catch(() => {})
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const stored = await this.#inner.get(key)
    if (stored === undefined) return undefined
    if (!isCiphertext(stored)) throw new StoreError('EncryptedStore found a value it did not write')
    let plaintext: ArrayBuffer
    try {
      plaintext = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: fromBase64Url(stored.iv), additionalData: aad(key) },
        await this.#key,
        fromBase64Url(stored.ct),
      )
    } catch (cause) {
      throw new StoreError('EncryptedStore could not decrypt a value (tampered or wrong key)', {
        cause,
      })
    }
    return JSON.parse(new TextDecoder().decode(plaintext)) as T
  }

  async set(key: string, value: unknown, options?: StoreSetOptions): Promise<void> {
    let json: string | undefined
    try {
      json = JSON.stringify(value)
    } catch (cause) {
      throw new StoreError('The value is not serialisable as JSON', { cause })
    }
    if (json === undefined) throw new StoreError('The value is not serialisable as JSON')
    const iv = crypto.getRandomValues(new Uint8Array(12))
    const ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: aad(key) },
      await this.#key,
      new TextEncoder().encode(json),
    )
    const envelope: Ciphertext = {
      v: 1,
      alg: 'A256GCM',
      iv: toBase64Url(iv),
      ct: toBase64Url(new Uint8Array(ct)),
    }
    await this.#inner.set(key, envelope, options)
  }

  delete(key: string): Promise<void> {
    return this.#inner.delete(key)
  }
}

async function importKey(key: Uint8Array | CryptoKey | undefined): Promise<CryptoKey> {
  if (key instanceof Uint8Array) {
    if (key.byteLength !== 32) {
      throw new InvalidArgumentError('EncryptedStore key must be 32 bytes (AES-256)')
    }
    return crypto.subtle.importKey('raw', new Uint8Array(key), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ])
  }
  if (
    typeof CryptoKey !== 'undefined' &&
    key instanceof CryptoKey &&
    key.algorithm.name === 'AES-GCM' &&
    key.usages.includes('encrypt') &&
    key.usages.includes('decrypt')
  ) {
    return key
  }
  throw new InvalidArgumentError('EncryptedStore key must be 32 bytes or an AES-GCM CryptoKey')
}

function aad(key: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`openrp:EncryptedStore:v1:${key}`)
}

function isCiphertext(value: unknown): value is Ciphertext {
  if (typeof value !== 'object' || value === null) return false
  const c = value as Partial<Ciphertext>
  return c.v === 1 && c.alg === 'A256GCM' && typeof c.iv === 'string' && typeof c.ct === 'string'
}

function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url')
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(text, 'base64url'))
}
