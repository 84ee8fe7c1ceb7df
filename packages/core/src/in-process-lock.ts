/**
 * A {@link Lock} for callers in one JavaScript realm (one process, one tab).
 *
 * @module
 */
import { type Clock, systemClock } from './clock.ts'
import { InvalidArgumentError, LockTimeoutError } from './errors.ts'
import type { Lock, LockLease, LockOptions } from './store.ts'

/** Default wait before {@link LockTimeoutError}, when `withLock` is given no `timeoutMs`. */
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000

/**
 * Options of {@link InProcessLock}.
 *
 * @example
 * ```ts
 * // In a test: waiters time out when the test moves its clock, not after real time.
 * const lock = new InProcessLock({ clock: manualClock })
 * ```
 */
export interface InProcessLockOptions {
  /** Clock of the waits before LOCK_TIMEOUT (default {@link systemClock}); tests pass their own. */
  clock?: Clock
}

/** Hands the lock to one waiting caller. */
type Waiter = () => void

/**
 * Mutual exclusion per lock name inside one process. Waiters are served first come, first
 * served; one that waits longer than `timeoutMs` leaves the queue with a
 * {@link LockTimeoutError} (code `LOCK_TIMEOUT`) and `fn` never runs.
 *
 * It does not coordinate tabs or processes: use `WebLocksLock` (@openrp/browser) or `RedisLock`
 * (@openrp/node) for that. The lock is not re-entrant: taking the same name again inside `fn`
 * waits for itself until the timeout.
 *
 * It cannot lose its hold while `fn` runs: the {@link LockLease} `fn` is given has a signal
 * that never aborts.
 *
 * @example
 * ```ts
 * const lock = new InProcessLock() // or new InProcessLock({ clock }) in a test
 * const result = await lock.withLock('refresh:alice', async () => doWork(), { timeoutMs: 5000 })
 * ```
 */
export class InProcessLock implements Lock {
  /** Names currently held, each with the queue of those waiting for it. */
  readonly #held = new Map<string, Waiter[]>()
  readonly #clock: Clock

  constructor(options: InProcessLockOptions = {}) {
    this.#clock = options.clock ?? systemClock
  }

  async withLock<T>(
    name: string,
    fn: (lease: LockLease) => Promise<T>,
    options: LockOptions = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS
    if (!(timeoutMs >= 0)) throw new InvalidArgumentError('timeoutMs must be >= 0')
    await this.#acquire(name, timeoutMs)
    try {
      // A signal of its own per hold (not one shared by all): listeners that callers add and
      // never remove go away with it.
      return await fn({ signal: new AbortController().signal })
    } finally {
      this.#release(name)
    }
  }

  #acquire(name: string, timeoutMs: number): Promise<void> {
    const queue = this.#held.get(name)
    if (!queue) {
      this.#held.set(name, [])
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = () => {
        this.#clock.clearTimeout(timer)
        resolve()
      }
      const timer = this.#clock.setTimeout(() => {
        const index = queue.indexOf(waiter)
        if (index !== -1) queue.splice(index, 1)
        reject(new LockTimeoutError(name, timeoutMs))
      }, timeoutMs)
      queue.push(waiter)
    })
  }

  #release(name: string): void {
    const queue = this.#held.get(name)
    const next = queue?.shift()
    // Ownership passes straight to the next waiter, so no newcomer can jump the queue.
    if (next) next()
    else this.#held.delete(name)
  }
}
