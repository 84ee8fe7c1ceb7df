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
 * A connection can also break without a word (half-open: a peer or a middlebox gone, its socket
 * still open), and the reports it should carry never come. So copies are served only for
 * `checkMs` after the connection last proved it was delivering them: Redis sends a connection
 * its reports in line with its replies, so a reply to a command sent at time t means every
 * report of a change before t has been heard. Past half of `checkMs` the store asks for such a
 * reply (a check) without waiting for it; past all of it a read waits for the check first.
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

/**
 * When a command was sent, to {@link RedisLocalCache.confirm} the copies with once its reply
 * comes. A mark taken before trust was lost confirms nothing.
 */
export interface ConfirmationMark {
  readonly at: number
  readonly generation: number
}

/** A read sent to Redis, from {@link RedisLocalCache.begin} until {@link RedisLocalCache.end}. */
export interface PendingRead {
  readonly key: string
  /** The key changed (or trust was lost) while the read was in flight: keep nothing. */
  dropped: boolean
}

/** Whether the copies need a check before they are served: {@link RedisLocalCache.checkDue}. */
export type CheckDue = 'no' | 'soon' | 'now'

export class RedisLocalCache {
  readonly #maxEntries: number
  readonly #clock: Clock
  /** Least recently used first (a Map keeps insertion order; a hit moves its copy last). */
  readonly #copies = new Map<string, Copy>()
  readonly #reads = new Map<string, Set<PendingRead>>()
  readonly #checkMs: number
  /**
   * When (clock ms) the commands were sent whose replies last proved every report before them
   * was heard; copies are served until `checkMs` after it. `-Infinity`: trust was lost.
   */
  #confirmedAt = Number.NEGATIVE_INFINITY
  /** Counts the times trust was lost: a mark of an earlier generation confirms nothing. */
  #generation = 0
  #hits = 0
  #misses = 0
  #invalidations = 0

  /**
   * `clock` tells when a copy's TTL has passed, and how long ago the copies were confirmed;
   * `checkMs` is how long a confirmation lasts.
   */
  constructor(maxEntries: number, clock: Clock, checkMs: number) {
    this.#maxEntries = maxEntries
    this.#clock = clock
    this.#checkMs = checkMs
  }

  /**
   * Whether the copies need the connection checked: `'no'` (none held, or confirmed less than
   * half of `checkMs` ago), `'soon'` (check, and serve them meanwhile), `'now'` (serve none
   * until a check confirms them).
   */
  checkDue(now = this.#clock.now()): CheckDue {
    if (this.#copies.size === 0) return 'no'
    const age = now - this.#confirmedAt
    return age < this.#checkMs / 2 ? 'no' : age < this.#checkMs ? 'soon' : 'now'
  }

  /** Now, to {@link confirm} the copies with once a command sent now is answered. */
  mark(): ConfirmationMark {
    return { at: this.#clock.now(), generation: this.#generation }
  }

  /**
   * A command sent at `mark` was answered on every connection that reports changes: every
   * report sent before it has been heard, and the copies are trusted for `checkMs` from then.
   */
  confirm(mark: ConfirmationMark): void {
    if (mark.generation === this.#generation && mark.at > this.#confirmedAt)
      this.#confirmedAt = mark.at
  }

  /** The clock's time: one reading serves {@link checkDue} and {@link read} of one hit. */
  now(): number {
    return this.#clock.now()
  }

  /** The local copy of `key`, if one is trusted at `now`. */
  read(key: string, now = this.#clock.now()): Copy | undefined {
    if (now - this.#confirmedAt >= this.#checkMs) {
      this.#misses++
      return undefined
    }
    const copy = this.#copies.get(key)
    if (copy === undefined) {
      this.#misses++
      return undefined
    }
    this.#copies.delete(key)
    if (copy.expiresAtMs !== undefined && copy.expiresAtMs <= now) {
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

  /**
   * Drops every copy and serves none until the connection is confirmed again by a command sent
   * after now.
   */
  distrust(): void {
    this.#confirmedAt = Number.NEGATIVE_INFINITY
    this.#generation++
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
