/**
 * A {@link Lock} on Redis: mutual exclusion across every process of a fleet.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import {
  type Clock,
  InvalidArgumentError,
  type Lock,
  type LockLease,
  type LockOptions,
  LockTimeoutError,
  sleep,
  systemClock,
} from '@openrp/core'
import { holdLease, leaseMsOf, leaseTimeOf } from './internal/lease.ts'
import { RedisConnection, type RedisConnectionOptions } from './internal/redis-connection.ts'

/** Deletes the lock only if it still holds our token. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`
/** Extends the lease only if it still holds our token: 1 if it did, 0 if not (lost). */
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`

export interface RedisLockOptions extends RedisConnectionOptions {
  /** Prepended to every lock name (default `openrp:lock:`). */
  prefix?: string
  /**
   * Lease of a held lock in whole ms, from 100 to 2^31 - 1 (default 15000). While `fn` runs
   * the lease is extended every third of it; a holder that crashes stops extending, so the
   * lock frees itself within one lease and cannot block the fleet forever. A holder that
   * cannot extend it for a whole lease is told through `lease.signal` (LOCK_LOST).
   */
  leaseMs?: number
  /** Default wait before LockTimeoutError when `withLock` gets no `timeoutMs` (30000). */
  timeoutMs?: number
  /**
   * Clock of what this process decides (default `systemClock`): the renewal timer, the
   * watchdog that reports a lease it could not renew, waits and their timeout. The key's expiry
   * (`PX`) is Redis's own time and does not follow it. Tests pass a manual clock.
   *
   * @example
   * ```ts
   * const lock = new RedisLock({ url: 'redis://127.0.0.1:6379', leaseMs: 30_000, clock: manualClock })
   * ```
   */
  clock?: Clock
}

/**
 * `SET name token NX PX lease` with a random token per acquisition; released by a Lua
 * compare-and-delete, so only the owner can release (a holder whose lease ran out cannot delete
 * the next holder's lock). Waiters retry with capped, jittered exponential backoff until
 * `timeoutMs`, then reject with `LockTimeoutError` (code `LOCK_TIMEOUT`). Redis being down
 * gives `StoreError` (code `STORE_ERROR`) quickly.
 *
 * The lease can be lost while `fn` runs: Redis restarted or failed over to a replica that never
 * saw the key, the key was deleted, or the event loop stalled past the lease and another holder
 * took the lock. Then `lease.signal` aborts with `LockLostError` (code `LOCK_LOST`): at the next
 * renewal when it finds the key gone or holding another token, or once a whole lease has passed
 * without a renewal Redis confirmed (Redis unreachable). `fn` is not stopped; it should check
 * the signal before anything that must not be done twice.
 *
 * @example
 * ```ts
 * const lock = new RedisLock({ url: 'redis://127.0.0.1:6379' })
 * await lock.withLock(
 *   'refresh:user-42',
 *   async ({ signal }) => {
 *     const current = await store.get('user-42')
 *     if (signal.aborted) throw signal.reason
 *     await store.set('user-42', await refreshFrom(current))
 *   },
 *   { timeoutMs: 10_000 },
 * )
 * await lock.close()
 * ```
 */
export class RedisLock implements Lock {
  readonly prefix: string
  readonly #connection: RedisConnection
  readonly #leaseMs: number
  readonly #timeoutMs: number
  readonly #clock: Clock

  constructor(options: RedisLockOptions) {
    this.#leaseMs = leaseMsOf(options.leaseMs)
    this.#connection = new RedisConnection(options)
    this.prefix = options.prefix ?? 'openrp:lock:'
    this.#timeoutMs = options.timeoutMs ?? 30_000
    this.#clock = options.clock ?? systemClock
  }

  async withLock<T>(
    name: string,
    fn: (lease: LockLease) => Promise<T>,
    options: LockOptions = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs
    if (!(timeoutMs >= 0)) throw new InvalidArgumentError('timeoutMs must be >= 0')
    const key = this.prefix + name
    const token = randomUUID()
    const acquiredAt = await this.#acquire(key, token, name, timeoutMs)
    return holdLease(
      {
        name,
        leaseMs: this.#leaseMs,
        acquiredAt,
        clock: this.#clock,
        renew: async () =>
          (await this.#connection.run('PEXPIRE', (c) =>
            c.eval(EXTEND, { keys: [key], arguments: [token, String(this.#leaseMs)] }),
          )) === 1,
        // If Redis is unreachable now, the lease frees the lock on its own.
        release: () =>
          this.#connection.run('release', (c) =>
            c.eval(RELEASE, { keys: [key], arguments: [token] }),
          ),
      },
      fn,
    )
  }

  /**
   * Closes the Redis connection this lock opened, once a connection being made is made; a
   * `client` you passed in stays open, and the lock stops listening to it. Calls after it fail
   * with `STORE_ERROR`.
   */
  close(): Promise<void> {
    return this.#connection.close()
  }

  /** Takes the lock; resolves with when (lease time) the successful SET was sent. */
  async #acquire(key: string, token: string, name: string, timeoutMs: number): Promise<number> {
    const clock = this.#clock
    const leaseTime = leaseTimeOf(clock)
    const deadline = clock.now() + timeoutMs
    let delay = 5
    for (;;) {
      let reply: unknown
      const sentAt = leaseTime()
      try {
        reply = await this.#connection.run('SET NX', (c) =>
          c.set(key, token, { condition: 'NX', expiration: { type: 'PX', value: this.#leaseMs } }),
        )
      } catch (error) {
        // The command may have reached Redis and taken the lock although we saw no reply (a
        // command timeout): release it, by our token, rather than leave it for a whole lease.
        // Not awaited: the caller hears of the failure now; the release follows the SET on the
        // same connection.
        this.#connection
          .run('release', (c) => c.eval(RELEASE, { keys: [key], arguments: [token] }))
          .catch(() => {})
        throw error
      }
      if (reply === 'OK') return sentAt
      const remaining = deadline - clock.now()
      if (remaining <= 0) throw new LockTimeoutError(name, timeoutMs)
      await sleep(clock, Math.min(remaining, delay / 2 + Math.random() * delay))
      delay = Math.min(delay * 2, 200)
    }
  }
}
