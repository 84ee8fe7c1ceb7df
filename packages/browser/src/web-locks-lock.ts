/**
 * A {@link Lock} on the Web Locks API: mutual exclusion across the tabs and workers of an origin.
 *
 * @module
 */
import {
  type Clock,
  InvalidArgumentError,
  type Lock,
  type LockLease,
  type LockOptions,
  LockTimeoutError,
  OpenRpError,
  systemClock,
} from '@openrp/core'

/** Options of {@link WebLocksLock}. */
export interface WebLocksLockOptions {
  /** Prepended to every lock name (default `openrp:`). */
  prefix?: string
  /** Default wait before LockTimeoutError when `withLock` gets no `timeoutMs` (30000). */
  timeoutMs?: number
  /**
   * Clock of the wait before LOCK_TIMEOUT (default `systemClock`); tests pass their own.
   *
   * @example
   * ```ts
   * const lock = new WebLocksLock({ timeoutMs: 5000, clock: manualClock })
   * ```
   */
  clock?: Clock
}

/**
 * `navigator.locks.request(name, { mode: 'exclusive' }, fn)`: one holder per name across every
 * tab of the origin. The browser releases the lock when `fn` settles, or when the holding tab
 * closes or crashes, so a dead tab never blocks the others. A waiter that does not get the lock
 * within `timeoutMs` gives up with `LockTimeoutError` (code `LOCK_TIMEOUT`) and `fn` never runs;
 * with `timeoutMs: 0` it takes the lock only if it is free at once.
 *
 * The browser holds the lock for as long as `fn` runs (only a `navigator.locks.request` with
 * `steal: true`, which openrp never makes, could break it), so the {@link LockLease} `fn` is
 * given has a signal that never aborts.
 *
 * Throws `UNSUPPORTED` where the Web Locks API is missing (e.g. an insecure context); use
 * `InProcessLock` there.
 *
 * @example
 * ```ts
 * import { WebLocksLock } from '@openrp/browser'
 * const manager = new TokenManager({ client, store, lock: new WebLocksLock(), key: 'session' })
 * ```
 * @see https://w3c.github.io/web-locks/
 */
export class WebLocksLock implements Lock {
  declare readonly prefix: string // assigned by the constructor
  readonly #timeoutMs: number
  readonly #clock: Clock

  constructor(options: WebLocksLockOptions = {}) {
    this.prefix = options.prefix ?? 'openrp:'
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
    const locks = typeof navigator === 'undefined' ? undefined : navigator.locks
    if (!locks) throw new OpenRpError('UNSUPPORTED', 'The Web Locks API is not available here')

    const waiting = new AbortController()
    // 0 ms: the lock if it is free now. A 0 ms timer would fire before the browser grants even
    // a free lock.
    const ifFree = timeoutMs === 0
    const timer = ifFree ? undefined : this.#clock.setTimeout(() => waiting.abort(), timeoutMs)
    let granted = false
    try {
      return await locks.request(
        this.prefix + name,
        ifFree
          ? { mode: 'exclusive', ifAvailable: true }
          : { mode: 'exclusive', signal: waiting.signal },
        async (lock) => {
          if (!lock) throw new LockTimeoutError(name, timeoutMs)
          granted = true
          this.#clock.clearTimeout(timer)
          return fn({ signal: new AbortController().signal })
        },
      )
    } catch (error) {
      if (!granted && waiting.signal.aborted) throw new LockTimeoutError(name, timeoutMs)
      throw error
    } finally {
      this.#clock.clearTimeout(timer)
    }
  }
}
