/**
 * @openrp/core's `EncryptedStore` with a key generated once, non-extractable, and kept in
 * IndexedDB.
 *
 * @module
 */
import { EncryptedStore as CoreEncryptedStore, StoreError, type Store } from '@openrp/core'
import { get, update, type UseStore } from 'idb-keyval'
import { connectedStore } from './internal/idb-connection.ts'

/** Options of the browser {@link EncryptedStore}. */
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
 * This is `@openrp/core`'s `EncryptedStore` (same format as `@openrp/node`'s: fresh random IV
 * per write, the store key bound as additional authenticated data, `StoreError` on `get` for
 * a tampered, moved or foreign value) with a default key: tabs opening at the same time agree
 * on one key (an atomic IndexedDB "create if absent"); a failure to load or create it rejects
 * with `StoreError` and is tried again on the next call. A given `key` that is not AES-GCM
 * throws `InvalidArgumentError`. `ttlSec` is passed through to `inner`.
 *
 * @example
 * ```ts
 * import { EncryptedStore, IndexedDbStore } from '@openrp/browser'
 * const store = new EncryptedStore(new IndexedDbStore())
 * await store.set('session', tokenSet.toJSON())
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-5.3 (AES GCM)
 */
export class EncryptedStore extends CoreEncryptedStore {
  constructor(inner: Store, options: EncryptedStoreOptions = {}) {
    const keyName = options.keyName ?? 'openrp:store-key'
    super(inner, { key: options.key ?? (() => loadOrCreateKey(keyName)) })
  }
}

let keyDatabase: UseStore | undefined

/** The AES key under `name` in IndexedDB, created (non-extractable) if absent. */
async function loadOrCreateKey(name: string): Promise<CryptoKey> {
  try {
    keyDatabase ??= connectedStore(KEY_DATABASE, KEY_OBJECT_STORE)
    const existing = await get<CryptoKey>(name, keyDatabase)
    if (existing) return existing
    const candidate = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ])
    // One readwrite transaction: if another tab stored a key first, theirs wins.
    await update<CryptoKey>(name, (current) => current ?? candidate, keyDatabase)
    const winner = await get<CryptoKey>(name, keyDatabase)
    if (!winner) throw new Error('No key was stored')
    return winner
  } catch (cause) {
    throw new StoreError('EncryptedStore could not load or create its key in IndexedDB', { cause })
  }
}
