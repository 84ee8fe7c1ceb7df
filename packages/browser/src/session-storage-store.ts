/**
 * A {@link Store} on `sessionStorage`: one tab, gone when the tab closes.
 *
 * @module
 */
import { StoreError, type Store, type StoreSetOptions } from '@openrp/core'
import { parseStoredJson } from '@openrp/core/adapters'
import { openEnvelope, sealEnvelope } from './internal/envelope.ts'

/** Options of {@link SessionStorageStore}. */
export interface SessionStorageStoreOptions {
  /** Prepended to every key (default `openrp:`). */
  prefix?: string
  /** The Web Storage area (default `sessionStorage`; `localStorage` also works). */
  storage?: Storage
  /** Clock in epoch milliseconds (tests). Defaults to `Date.now`. */
  now?: () => number
}

/**
 * Keeps JSON values in `sessionStorage` under `prefix + key`. Each tab has its own session
 * storage, so tokens stay in one tab and end with it: use it when tabs should not share a
 * session. TTL aware (checked on read).
 *
 * Failures (storage disabled, quota exceeded) reject with `StoreError`; the previous value stays
 * (a failed `setItem` changes nothing). A value this store did not write gives `StoreError`.
 *
 * @example
 * ```ts
 * import { SessionStorageStore } from '@openrp/browser'
 * const store = new SessionStorageStore({ prefix: 'my-app:' })
 * ```
 */
export class SessionStorageStore implements Store {
  declare readonly prefix: string // assigned by the constructor
  readonly #storage: Storage | undefined
  readonly #now: () => number

  constructor(options: SessionStorageStoreOptions = {}) {
    this.prefix = options.prefix ?? 'openrp:'
    this.#storage = options.storage
    this.#now = options.now ?? Date.now
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const text = this.#run('read', (storage) => storage.getItem(this.prefix + key))
    if (text === null) return undefined
    const stored = parseStoredJson(text, 'SessionStorageStore')
    const value = openEnvelope<T>(stored, this.#now(), 'SessionStorageStore')
    if (value === undefined) await this.delete(key)
    return value
  }

  async set(key: string, value: unknown, options: StoreSetOptions = {}): Promise<void> {
    const envelope = sealEnvelope(value, options.ttlSec, this.#now())
    this.#run('write', (storage) => storage.setItem(this.prefix + key, JSON.stringify(envelope)))
  }

  async delete(key: string): Promise<void> {
    this.#run('delete', (storage) => storage.removeItem(this.prefix + key))
  }

  #run<T>(what: string, fn: (storage: Storage) => T): T {
    try {
      // Reading `sessionStorage` itself throws where storage is disabled.
      const storage = this.#storage ?? globalThis.sessionStorage
      if (!storage) throw new Error('sessionStorage is not available')
      return fn(storage)
    } catch (cause) {
      const name = cause instanceof Error ? cause.name : 'unknown error'
      throw new StoreError(`SessionStorageStore could not ${what} (${name})`, { cause })
    }
  }
}
