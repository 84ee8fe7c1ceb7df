/**
 * A {@link Store} in memory, for one process or one page. TTL aware.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.ts'
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
  /**
   * At most this many entries are held (default `Infinity`: no cap, nothing live is ever
   * evicted). A write that goes over the cap first sweeps expired entries, then evicts the
   * **least recently used** live ones (a `get` or `set` counts as a use) until the cap holds.
   * An evicted key reads as absent, like an expired one, so set a cap only for values that
   * can be fetched again (a cache of access tokens), never for the only copy of a session
   * (a refresh token).
   *
   * @example
   * ```ts
   * // A cache of machine tokens: memory bounded by the cap, not by the tokens' lifetime.
   * const cache = new MemoryStore({ maxEntries: 1000 })
   * ```
   */
  maxEntries?: number
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
 * With `maxEntries`, memory is bounded by that count too: over it, expired entries are swept
 * and then the least recently used live ones evicted (see {@link MemoryStoreOptions.maxEntries}).
 *
 * @example
 * ```ts
 * const store = new MemoryStore()
 * await store.set('tokens', tokenSet.toJSON(), { ttlSec: 3600 })
 * const json = await store.get('tokens') // frozen
 *
 * // At most 1000 keys, the least recently used evicted first (for re-fetchable values only).
 * const cache = new MemoryStore({ maxEntries: 1000 })
 * ```
 */
export class MemoryStore implements Store {
  readonly #entries = new Map<string, Entry>()
  readonly #now: () => number
  readonly #sweepIntervalMs: number
  readonly #maxEntries: number
  /** `maxEntries` was given: reads and writes keep the entries in least-recently-used order. */
  readonly #capped: boolean
  #nextSweepMs: number
  /** The earliest `expiresAtMs` written since the last sweep: nothing can expire before it. */
  #earliestExpiryMs = Number.POSITIVE_INFINITY

  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY
    const unlimited = maxEntries === Number.POSITIVE_INFINITY
    if (!unlimited && !(Number.isInteger(maxEntries) && maxEntries >= 1))
      throw new InvalidArgumentError('maxEntries must be a positive integer (or Infinity)')
    this.#capped = !unlimited
    this.#maxEntries = maxEntries
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
    if (this.#capped) {
      // Most recently used last (a Map keeps insertion order): eviction takes from the front.
      this.#entries.delete(key)
      this.#entries.set(key, entry)
    }
    return entry.value as T
  }

  async set(key: string, value: unknown, options: StoreSetOptions = {}): Promise<void> {
    const ttlMs = ttlSecToMs(options.ttlSec)
    const copy = parseStoredJson(toStoredJson(value), 'MemoryStore', { frozen: true })
    const now = this.#now()
    const expiresAtMs = ttlMs === undefined ? undefined : now + ttlMs
    // Capped: the key becomes the most recently used (re-inserted last).
    if (this.#capped) this.#entries.delete(key)
    this.#entries.set(key, { value: copy, expiresAtMs })
    if (expiresAtMs !== undefined && expiresAtMs < this.#earliestExpiryMs)
      this.#earliestExpiryMs = expiresAtMs
    if (now >= this.#nextSweepMs) this.#sweep(now)
    if (this.#entries.size > this.#maxEntries) this.#evict(now)
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key)
  }

  /** Drops every expired entry. */
  #sweep(now: number): void {
    this.#nextSweepMs = now + this.#sweepIntervalMs
    this.#earliestExpiryMs = Number.POSITIVE_INFINITY
    for (const [key, entry] of this.#entries) {
      const { expiresAtMs } = entry
      if (expiresAtMs === undefined) continue
      if (expiresAtMs <= now) this.#entries.delete(key)
      else if (expiresAtMs < this.#earliestExpiryMs) this.#earliestExpiryMs = expiresAtMs
    }
  }

  /** Over `maxEntries`: expired entries go first, then the least recently used. */
  #evict(now: number): void {
    // A sweep only when something may have expired: O(1) per write while nothing does.
    if (now >= this.#earliestExpiryMs) this.#sweep(now)
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break
      this.#entries.delete(key)
    }
  }
}
