/**
 * A {@link Store} on IndexedDB (through idb-keyval), shared by every tab of the origin.
 *
 * @module
 */
import { StoreError, type Store, type StoreSetOptions } from '@openrp/core'
import { del, get, promisifyRequest, set, type UseStore } from 'idb-keyval'
import { type Envelope, openEnvelope, sealEnvelope } from './internal/envelope.ts'
import { connectedStore } from './internal/idb-connection.ts'

/** Options of {@link IndexedDbStore}. */
export interface IndexedDbStoreOptions {
  /** IndexedDB database of this store (default `openrp`); not shared with other code. */
  database?: string
  /** Object store inside it (default `tokens`). */
  objectStore?: string
  /** Prepended to every key (default `openrp:`). */
  prefix?: string
  /** Clock in epoch milliseconds (tests). Defaults to `Date.now`. */
  now?: () => number
}

/**
 * Keeps JSON values in IndexedDB, in a database of its own, under `prefix + key`. Every tab of
 * the origin sees the same values, which is what lets tabs share one session and one refresh
 * (with `WebLocksLock`). Values written with `ttlSec` disappear once it elapses (checked on read).
 *
 * It never stands in another tab's way: when one deletes the database
 * (`indexedDB.deleteDatabase`, a "clear site data" button) or opens it at a higher version, the
 * store closes its connection at once (`versionchange`) and opens a new one on next use, creating
 * its object store again if the database is gone; a read then finds nothing, writes work again.
 *
 * Values are kept as JSON text, not as objects: a read returns a copy and a value that is not
 * JSON is refused on `set`. Backend failures (private mode without IndexedDB, quota exceeded,
 * an upgrade that another connection blocks) reject with `StoreError` (code `STORE_ERROR`); a
 * failed `set` leaves the previous value in place (IndexedDB transactions are atomic).
 *
 * Page scripts of the origin can read these values; wrap the store in `EncryptedStore` so what
 * IndexedDB holds is ciphertext under a non-extractable key.
 *
 * @example
 * ```ts
 * import { EncryptedStore, IndexedDbStore } from '@openrp/browser'
 * const store = new EncryptedStore(new IndexedDbStore({ prefix: 'my-app:' }))
 * ```
 */
export class IndexedDbStore implements Store {
  // Declared, not defined as class fields: the constructor assigns them.
  declare readonly database: string
  declare readonly objectStore: string
  declare readonly prefix: string
  readonly #now: () => number
  #db: UseStore | undefined

  constructor(options: IndexedDbStoreOptions = {}) {
    this.database = options.database ?? 'openrp'
    this.objectStore = options.objectStore ?? 'tokens'
    this.prefix = options.prefix ?? 'openrp:'
    this.#now = options.now ?? Date.now
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const stored = await this.#run('read', (db) => get<unknown>(this.prefix + key, db))
    if (stored === undefined) return undefined
    const value = openEnvelope<T>(stored, this.#now(), 'IndexedDbStore')
    if (value === undefined) await this.#deleteExpired(key)
    return value
  }

  async set(key: string, value: unknown, options: StoreSetOptions = {}): Promise<void> {
    const envelope = sealEnvelope(value, options.ttlSec, this.#now())
    await this.#run('write', (db) => set(this.prefix + key, envelope, db))
  }

  async delete(key: string): Promise<void> {
    await this.#run('delete', (db) => del(this.prefix + key, db))
  }

  /**
   * Deletes `key` if what it holds has expired, in one transaction: another tab may have
   * written a fresh value since this one read the expired one.
   */
  #deleteExpired(key: string): Promise<void> {
    return this.#run('delete', (db) =>
      db('readwrite', (store) => {
        const read = store.get(this.prefix + key)
        read.onsuccess = () => {
          const expiry = (read.result as Partial<Envelope> | undefined)?.e
          if (typeof expiry === 'number' && expiry <= this.#now()) store.delete(this.prefix + key)
        }
        return promisifyRequest(store.transaction)
      }),
    )
  }

  async #run<T>(what: string, fn: (db: UseStore) => Promise<T>): Promise<T> {
    try {
      if (typeof indexedDB === 'undefined') throw new Error('IndexedDB is not available')
      this.#db ??= connectedStore(this.database, this.objectStore)
      return await fn(this.#db)
    } catch (cause) {
      throw new StoreError(`IndexedDbStore could not ${what} (${errorName(cause)})`, { cause })
    }
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown error'
}
