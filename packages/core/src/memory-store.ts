/**
 * A {@link Store} in memory, for one process or one page. TTL aware.
 *
 * @module
 */
import type { Store, StoreSetOptions } from './store.ts'
import { toStoredJson, ttlSecToMs } from './store-value.ts'

export interface MemoryStoreOptions {
  /** Clock in epoch milliseconds (tests). Defaults to `Date.now`. */
  now?: () => number
}

interface Entry {
  /** The value as JSON text: every read returns a fresh copy, as a real backend would. */
  json: string
  /** Epoch ms after which the entry is gone; `undefined` = no TTL. */
  expiresAtMs: number | undefined
}

/**
 * Keeps JSON values in a `Map`. Values are copied on `set` and on `get` (through JSON), so a
 * caller mutating an object it stored or read never changes what is stored, and a value that is
 * not JSON is refused up front, as a file or Redis store would refuse it.
 *
 * Entries written with `ttlSec` disappear once it elapses (checked on read; nothing runs in the
 * background).
 *
 * @example
 * ```ts
 * const store = new MemoryStore()
 * await store.set('tokens', tokenSet.toJSON(), { ttlSec: 3600 })
 * const json = await store.get('tokens')
 * ```
 */
export class MemoryStore implements Store {
  readonly #entries = new Map<string, Entry>()
  readonly #now: () => number

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return JSON.parse(entry.json) as T
  }

  async set(key: string, value: unknown, options: StoreSetOptions = {}): Promise<void> {
    const ttlMs = ttlSecToMs(options.ttlSec)
    const expiresAtMs = ttlMs === undefined ? undefined : this.#now() + ttlMs
    this.#entries.set(key, { json: toStoredJson(value), expiresAtMs })
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key)
  }
}
