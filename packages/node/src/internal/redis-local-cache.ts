/**
 * RedisStore's local copies of what it read, trusted only while Redis vouches for them:
 * Redis's server-assisted client-side caching (RESP3 `CLIENT TRACKING`, node-redis
 * `clientSideCache`) reports every change of a key this process read, and each report drops
 * that key's copy. A lost connection, a failover or a flush drops every copy.
 *
 * A read that was in flight when its key changed must not leave a stale copy behind: each key
 * has a generation, bumped by every drop, and a read keeps its result only if the generation it
 * started under is still current.
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

export class RedisLocalCache {
  readonly #maxEntries: number
  readonly #clock: Clock
  readonly #copies = new Map<string, Copy>()
  readonly #generations = new Map<string, number>()
  /** Bumped when every copy is dropped at once (connection lost, flush). */
  #epoch = 0
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
    if (copy.expiresAtMs !== undefined && copy.expiresAtMs <= this.#clock.now()) {
      this.#copies.delete(key)
      this.#misses++
      return undefined
    }
    this.#hits++
    return copy
  }

  /** A token to pass to {@link keep} for a read of `key` about to be sent to Redis. */
  generation(key: string): number {
    return this.#epoch * 2 ** 32 + (this.#generations.get(key) ?? 0)
  }

  /** Keeps what a read found, unless `key` changed (or trust was lost) since it was sent. */
  keep(key: string, generation: number, value: unknown, ttlMs?: number): void {
    // The read came back over a live connection with tracking on: Redis vouches from now on.
    this.#trusted = true
    if (generation !== this.generation(key)) return
    if (this.#copies.size >= this.#maxEntries) {
      const oldest = this.#copies.keys().next().value
      if (oldest !== undefined) this.#copies.delete(oldest)
    }
    const expiresAtMs = ttlMs !== undefined && ttlMs >= 0 ? this.#clock.now() + ttlMs : undefined
    this.#copies.set(key, { value, expiresAtMs })
  }

  /** Drops the copy of `key` (Redis reported a change, or this process writes it). */
  forget(key: string): void {
    this.#generations.set(key, (this.#generations.get(key) ?? 0) + 1)
    if (this.#copies.delete(key)) this.#invalidations++
  }

  /** Drops every copy and stops serving any until a read comes back from Redis. */
  distrust(): void {
    this.#trusted = false
    this.#epoch++
    this.#generations.clear()
    this.#invalidations += this.#copies.size
    this.#copies.clear()
  }

  stats(): LocalCacheStats {
    return { hits: this.#hits, misses: this.#misses, invalidations: this.#invalidations }
  }
}
