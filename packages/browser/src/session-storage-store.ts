/**
 * A {@link Store} on `sessionStorage`: one tab, gone when the tab closes.
 *
 * @module
 */
import { StoreError, type Store, type StoreSetOptions } from '@openrp/core'
import {
  type Envelope,
  expiryOf,
  isEnvelope,
  openEnvelope,
  toJsonText,
} from './internal/json-value.ts'

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
  readonly prefix: string
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
    let envelope: unknown
    try {
      envelope = JSON.parse(text)
    } catch (cause) {
      throw new StoreError('SessionStorageStore found a value that is not JSON', { cause })
    }
    if (!isEnvelope(envelope)) {
      throw new StoreError('SessionStorageStore found a value it did not write')
    }
    if (envelope.e !== undefined && envelope.e <= this.#now()) {
      await this.delete(key)
      return undefined
    }
    return openEnvelope<T>(envelope)
  }

  async set(key: string, value: unknown, options: StoreSetOptions = {}): Promise<void> {
    const envelope: Envelope = { v: 1, j: toJsonText(value) }
    const expiresAt = expiryOf(options.ttlSec, this.#now())
    if (expiresAt !== undefined) envelope.e = expiresAt
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
