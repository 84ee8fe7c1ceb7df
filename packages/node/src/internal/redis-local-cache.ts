/**
 * RedisStore's local copies of what it read, trusted only while Redis vouches for them:
 * Redis's server-assisted client-side caching (RESP3 `CLIENT TRACKING`, node-redis
 * `clientSideCache`) reports every change of a key this process read, and each report drops
 * that key's copy. A lost connection, a failover or a flush drops every copy.
 *
 * A read that was in flight when its key changed must not leave a stale copy behind: a drop
 * marks the reads of that key in flight, and a marked read keeps nothing. Only reads in flight
 * are tracked, so memory follows the copies and the reads under way, never the number of keys
 * ever seen.
 *
 * @module
 */
import type { Clock } from '@openrp/core'

/** What the local cache did since the store was made. */
export interface LocalCacheStats {
  /** Reads answered from the local copy, without Redis. */
  hits: number
  /** Reads that went to Redis. */
  misses: number
  /** Copies dropped because Redis reported a change, or the connection was lost. */
  invalidations: number
}

interface Copy {
  value: unknown
  /** Clock time (epoch ms) after which the key has expired in Redis; `undefined`: no expiry. */
  expiresAtMs: number | undefined
}

/** A read sent to Redis, from {@link RedisLocalCache.begin} until {@link RedisLocalCache.end}. */
export interface PendingRead {
  readonly key: string
  /** The key changed (or trust was lost) while the read was in flight: keep nothing. */
  dropped: boolean
}

export class RedisLocalCache {
  readonly #maxEntries: number
  readonly #clock: Clock
  /** Least recently used first (a Map keeps insertion order; a hit moves its copy last). */
  readonly #copies = new Map<string, Copy>()
  readonly #reads = new Map<string, Set<PendingRead>>()
  /** Whether Redis is currently vouching (a live connection with tracking on). */
  #trusted = false
  #hits = 0
  #misses = 0
  #invalidations = 0

  /** `clock` tells when a copy's TTL has passed. */
  constructor(maxEntries: number, clock: Clock) {
    this.#maxEntries = maxEntries
    this.#clock = clock
  }

  /** The local copy of `key`, if one is trusted now. */
  read(key: string): Copy | undefined {
    if (!this.#trusted) {
      this.#misses++
      return undefined
    }
    const copy = this.#copies.get(key)
    if (copy === undefined) {
      this.#misses++
      return undefined
    }
    this.#copies.delete(key)
    if (copy.expiresAtMs !== undefined && copy.expiresAtMs <= this.#clock.now()) {
      this.#misses++
      return undefined
    }
    this.#copies.set(key, copy)
    this.#hits++
    return copy
  }

  /** Starts a read of `key` about to be sent to Redis; {@link end} it whatever happens. */
  begin(key: string): PendingRead {
    const read: PendingRead = { key, dropped: false }
    const reads = this.#reads.get(key)
    if (reads) reads.add(read)
    else this.#reads.set(key, new Set([read]))
    return read
  }

  /** The read is over (answered or failed). */
  end(read: PendingRead): void {
    const reads = this.#reads.get(read.key)
    if (reads?.delete(read) && reads.size === 0) this.#reads.delete(read.key)
  }

  /** Keeps what a read found, unless its key changed (or trust was lost) while it was sent. */
  keep(read: PendingRead, value: unknown, ttlMs?: number): void {
    // The read came back over a live connection with tracking on: Redis vouches from now on.
    this.#trusted = true
    if (read.dropped) return
    // A key kept again moves to the most recently used end, and never evicts another.
    this.#copies.delete(read.key)
    if (this.#copies.size >= this.#maxEntries) {
      const oldest = this.#copies.keys().next().value
      if (oldest !== undefined) this.#copies.delete(oldest)
    }
    const expiresAtMs = ttlMs !== undefined && ttlMs >= 0 ? this.#clock.now() + ttlMs : undefined
    this.#copies.set(read.key, { value, expiresAtMs })
  }

  /** Drops the copy of `key` (Redis reported a change, or this process writes it). */
  forget(key: string): void {
    for (const read of this.#reads.get(key) ?? []) read.dropped = true
    if (this.#copies.delete(key)) this.#invalidations++
  }

  /** Drops every copy and stops serving any until a read comes back from Redis. */
  distrust(): void {
    this.#trusted = false
    for (const reads of this.#reads.values()) for (const read of reads) read.dropped = true
    this.#invalidations += this.#copies.size
    this.#copies.clear()
  }

  /** Reads in flight, by key (for tests: what the cache holds besides its copies). */
  get pendingKeys(): number {
    return this.#reads.size
  }

  stats(): LocalCacheStats {
    return { hits: this.#hits, misses: this.#misses, invalidations: this.#invalidations }
  }
}
