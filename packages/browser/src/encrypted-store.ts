/**
 * A {@link Store} wrapper that keeps only AES-GCM ciphertext in the inner store, under a
 * non-extractable key kept in IndexedDB.
 *
 * @module
 */
import { InvalidArgumentError, StoreError, type Store, type StoreSetOptions } from '@openrp/core'
import { createStore, get, update, type UseStore } from 'idb-keyval'
import { fromBase64Url, toBase64Url } from './internal/base64url.ts'
import { toJsonText } from './internal/json-value.ts'

/** What the inner store keeps instead of the value (same format as @openrp/node's). */
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
   * An AES-GCM key with `encrypt` and `decrypt` usages. By default a 256-bit key is generated
   * non-extractable on first use and kept in IndexedDB (database `openrp-keys`) under
   * `keyName`, so every tab and every reload uses the same key while no script can export it.
   */
  key?: CryptoKey
  /** Name of the generated key in IndexedDB (default `openrp:store-key`). */
  keyName?: string
}

const KEY_DATABASE = 'openrp-keys'
const KEY_OBJECT_STORE = 'keys'

/**
 * Encrypts every value with AES-256-GCM before it reaches `inner` (normally an
 * `IndexedDbStore`), so IndexedDB holds no plaintext token: reading the database (devtools,
 * a backup, another profile) yields ciphertext, and the key cannot be exported from the page.
 * It does not protect against script running in the page, which can call `get()` like the app.
 *
 * Each write uses a fresh random IV; the store key is bound as additional authenticated data,
 * so a ciphertext moved to another key or altered fails to decrypt: `get` then rejects with
 * `StoreError`. Tabs opening at the same time agree on one key (an atomic IndexedDB
 * "create if absent"). `ttlSec` is passed through to `inner`.
 *
 * @example
 * ```ts
 * import { EncryptedStore, IndexedDbStore } from '@openrp/browser'
 * const store = new EncryptedStore(new IndexedDbStore())
 * await store.set('session', tokenSet.toJSON())
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-5.3 (AES GCM)
 */
export class EncryptedStore implements Store {
  readonly #inner: Store
  readonly #keyName: string
  readonly #givenKey: CryptoKey | undefined
  #key: Promise<CryptoKey> | undefined

  constructor(inner: Store, options: EncryptedStoreOptions = {}) {
    if (!inner) throw new InvalidArgumentError('EncryptedStore needs an inner store')
    if (options.key && !isAesGcmKey(options.key)) {
      throw new InvalidArgumentError('EncryptedStore key must be an AES-GCM CryptoKey')
    }
    this.#inner = inner
    this.#givenKey = options.key
    this.#keyName = options.keyName ?? 'openrp:store-key'
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const stored = await this.#inner.get(key)
    if (stored === undefined) return undefined
    if (!isCiphertext(stored)) throw new StoreError('EncryptedStore found a value it did not write')
    const cryptoKey = await this.#cryptoKey()
    let plaintext: ArrayBuffer
    try {
      plaintext = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: fromBase64Url(stored.iv), additionalData: aad(key) },
        cryptoKey,
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
    const json = toJsonText(value)
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
      iv: toBase64Url(iv),
      ct: toBase64Url(new Uint8Array(ct)),
    }
    await this.#inner.set(key, envelope, options)
  }

  delete(key: string): Promise<void> {
    return this.#inner.delete(key)
  }

  #cryptoKey(): Promise<CryptoKey> {
    if (this.#givenKey) return Promise.resolve(this.#givenKey)
    this.#key ??= loadOrCreateKey(this.#keyName).catch((error: unknown) => {
      this.#key = undefined
      throw error
    })
    return this.#key
  }
}

let keyDatabase: UseStore | undefined

/** The AES key under `name` in IndexedDB, created (non-extractable) if absent. */
async function loadOrCreateKey(name: string): Promise<CryptoKey> {
  try {
    keyDatabase ??= createStore(KEY_DATABASE, KEY_OBJECT_STORE)
    const existing = await get<CryptoKey>(name, keyDatabase)
    if (existing && isAesGcmKey(existing)) return existing
    const candidate = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ])
    // One readwrite transaction: if another tab stored a key first, theirs wins.
    await update<CryptoKey>(name, (current) => current ?? candidate, keyDatabase)
    const winner = await get<CryptoKey>(name, keyDatabase)
    if (!winner || !isAesGcmKey(winner)) throw new Error('The stored key is not an AES-GCM key')
    return winner
  } catch (cause) {
    throw new StoreError('EncryptedStore could not load or create its key in IndexedDB', { cause })
  }
}

function isAesGcmKey(key: unknown): key is CryptoKey {
  return (
    typeof CryptoKey !== 'undefined' &&
    key instanceof CryptoKey &&
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
