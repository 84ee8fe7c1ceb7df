/**
 * A {@link Lock} on Redis: mutual exclusion across every process of a fleet.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { InvalidArgumentError, LockTimeoutError, type Lock, type LockOptions } from '@openrp/core'
import { holdLease } from './internal/lease.ts'
import { RedisConnection, type RedisConnectionOptions } from './internal/redis-connection.ts'

/** Deletes the lock only if it still holds our token. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`
/** Extends the lease only if it still holds our token. */
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`

export interface RedisLockOptions extends RedisConnectionOptions {
  /** Prepended to every lock name (default `openrp:lock:`). */
  prefix?: string
  /**
   * Lease of a held lock in ms (default 15000). While `fn` runs the lease is extended every
   * third of it; a holder that crashes stops extending, so the lock frees itself within one
   * lease and cannot block the fleet forever.
   */
  leaseMs?: number
  /** Default wait before LockTimeoutError when `withLock` gets no `timeoutMs` (30000). */
  timeoutMs?: number
}

/**
 * `SET name token NX PX lease` with a random token per acquisition; released by a Lua
 * compare-and-delete, so only the owner can release (a holder whose lease ran out cannot delete
 * the next holder's lock). Waiters retry with capped, jittered exponential backoff until
 * `timeoutMs`, then reject with `LockTimeoutError` (code `LOCK_TIMEOUT`). Redis being down
 * gives `StoreError` (code `STORE_ERROR`) quickly.
 *
 * @example
 * ```ts
 * const lock = new RedisLock({ url: 'redis://127.0.0.1:6379' })
 * await lock.withLock('refresh:user-42', async () => { ... }, { timeoutMs: 10_000 })
 * await lock.close()
 * ```
 */
export class RedisLock implements Lock {
  readonly prefix: string
  readonly #connection: RedisConnection
  readonly #leaseMs: number
  readonly #timeoutMs: number

  constructor(options: RedisLockOptions) {
    this.#connection = new RedisConnection(options)
    this.prefix = options.prefix ?? 'openrp:lock:'
    this.#leaseMs = options.leaseMs ?? 15_000
    this.#timeoutMs = options.timeoutMs ?? 30_000
    if (!(this.#leaseMs >= 100)) throw new InvalidArgumentError('leaseMs must be at least 100')
  }

  async withLock<T>(name: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs
    if (!(timeoutMs >= 0)) throw new InvalidArgumentError('timeoutMs must be >= 0')
    const key = this.prefix + name
    const token = randomUUID()
    await this.#acquire(key, token, name, timeoutMs)
    return holdLease(
      this.#leaseMs,
      () =>
        this.#connection.run('PEXPIRE', (c) =>
          c.eval(EXTEND, { keys: [key], arguments: [token, String(this.#leaseMs)] }),
        ),
      // If Redis is unreachable now, the lease frees the lock on its own.
      () =>
        this.#connection.run('release', (c) =>
          c.eval(RELEASE, { keys: [key], arguments: [token] }),
        ),
      fn,
    )
  }

  /** Closes the Redis connection this lock opened (not a `client` you passed in). */
  close(): Promise<void> {
    return this.#connection.close()
  }

  async #acquire(key: string, token: string, name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let delay = 5
    for (;;) {
      let reply: string | null
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
      if (reply === 'OK') return
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new LockTimeoutError(name, timeoutMs)
      await sleep(Math.min(remaining, delay / 2 + Math.random() * delay))
      delay = Math.min(delay * 2, 200)
    }
  }
}
