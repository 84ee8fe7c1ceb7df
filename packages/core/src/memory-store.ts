/**
 * A {@link Store} in memory, for one process or one page. TTL aware.
 *
 * @module
 */
import { InvalidArgumentError, StoreError } from './errors.ts'
import type { Store, StoreSetOptions } from './store.ts'

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
    const expiresAtMs = ttlToExpiry(options.ttlSec, this.#now())
    this.#entries.set(key, { json: toJson(value), expiresAtMs })
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key)
  }
}

function ttlToExpiry(ttlSec: number | undefined, nowMs: number): number | undefined {
  if (ttlSec === undefined) return undefined
  if (!(typeof ttlSec === 'number' && Number.isFinite(ttlSec) && ttlSec > 0)) {
    throw new InvalidArgumentError('ttlSec must be a positive number of seconds')
  }
  return nowMs + ttlSec * 1000
}

function toJson(value: unknown): string {
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch (cause) {
    throw new StoreError('The value is not serialisable as JSON', { cause })
  }
  if (json === undefined) throw new StoreError('The value is not serialisable as JSON')
  return json
}
