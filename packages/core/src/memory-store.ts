/**
 * A {@link Store} in memory, for one process or one page. TTL aware.
 *
 * @module
 */
import type { Store, StoreSetOptions } from './store.ts'
import { parseStoredJson, toStoredJson, ttlSecToMs } from './store-value.ts'

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Clock in epoch milliseconds (tests). Defaults to `Date.now`; e.g. `() => clock.now()`. */
  now?: () => number
  /**
   * Expired entries are swept on the first write at least this long after the last sweep, ms
   * (default 60 000), so keys written with a TTL and never read again do not pile up.
   */
  sweepIntervalMs?: number
}

interface Entry {
  /** A deep-frozen copy of the value made on `set` (through JSON): read as is. */
  value: unknown
  /** Epoch ms after which the entry is gone; `undefined` = no TTL. */
  expiresAtMs: number | undefined
}

/**
 * Keeps JSON values in a `Map`. `set` stores a copy made through JSON, so a value that is not
 * JSON is refused up front (as a file or Redis store would refuse it) and a caller mutating an
 * object after storing it never changes what is stored.
 *
 * Values read with `get` are **frozen** (deeply): the stored copy itself, handed out without
 * copying, so a read costs no parsing and no caller can change what others read. Assigning to
 * one throws a `TypeError` in strict mode; copy it first (`structuredClone(value)`) to edit it.
 * Until the next `set`, every read of a key gives the same object.
 *
 * Entries written with `ttlSec` disappear once it elapses: a read never sees them, and they are
 * swept from memory on a write once `sweepIntervalMs` has passed since the last sweep (nothing
 * runs in the background), so memory is bounded by the live keys plus those written since.
 *
 * @example
 * ```ts
 * const store = new MemoryStore()
 * await store.set('tokens', tokenSet.toJSON(), { ttlSec: 3600 })
 * const json = await store.get('tokens') // frozen
 * ```
 */
export class MemoryStore implements Store {
  readonly #entries = new Map<string, Entry>()
  readonly #now: () => number
  readonly #sweepIntervalMs: number
  #nextSweepMs: number

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000
    this.#nextSweepMs = this.#now() + this.#sweepIntervalMs
  }

  /** Entries held in memory, expired ones not swept yet included. */
  get size(): number {
    return this.#entries.size
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value as T
  }

  async set(key: string, value: unknown, options: StoreSetOptions = {}): Promise<void> {
    const ttlMs = ttlSecToMs(options.ttlSec)
    const copy = parseStoredJson(toStoredJson(value), 'MemoryStore', { frozen: true })
    const now = this.#now()
    const expiresAtMs = ttlMs === undefined ? undefined : now + ttlMs
    this.#entries.set(key, { value: copy, expiresAtMs })
    if (now >= this.#nextSweepMs) this.#sweep(now)
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key)
  }

  /** Drops every expired entry. */
  #sweep(now: number): void {
    this.#nextSweepMs = now + this.#sweepIntervalMs
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= now) this.#entries.delete(key)
    }
  }
}
