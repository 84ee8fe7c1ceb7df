import { LockLostError } from './errors.ts'

/**
 * Where tokens and transactions live. Values are plain JSON; every method is async so the same
 * interface fits memory, IndexedDB, files and Redis.
 */
export interface Store {
  /**
   * The value stored under `key`, or `undefined`. Throws StoreError when the backend fails.
   * With `fresh`, a store that keeps local copies of what it read (RedisStore's local cache)
   * reads the backend itself; stores without copies can ignore the options.
   */
  get<T = unknown>(key: string, options?: StoreGetOptions): Promise<T | undefined>
  /** Stores a JSON value; `ttlSec` lets the backend drop it after that many seconds. */
  set(key: string, value: unknown, options?: StoreSetOptions): Promise<void>
  /** Removes the value under `key` (nothing happens when there is none). */
  delete(key: string): Promise<void>
  /**
   * Optional, for stores shared by processes that can lose a lock without knowing it (a Redis
   * failover, a paused process): writes `value` only if `key` still holds `expected`
   * (`undefined`: only if it holds nothing), as one atomic step in the backend, and resolves
   * whether it wrote. Values compare by their JSON text. The refresh coordinator uses it, where
   * present, for its write-if-unchanged, so a writer whose lease was lost cannot overwrite a
   * newer token set.
   *
   * @example
   * ```ts
   * const before = await store.get('alice')
   * if (!(await store.compareAndSet?.('alice', before, next))) console.log('someone else wrote')
   * ```
   */
  compareAndSet?(
    key: string,
    expected: unknown,
    value: unknown,
    options?: StoreSetOptions,
  ): Promise<boolean>
}

/**
 * Options of `Store.get()`. `fresh`: not from a local copy. The refresh coordinator reads so
 * under its lock: a copy whose invalidation is still on its way (it comes on another connection
 * than the lock's answer) would be the set from before another member's refresh, with a spent
 * refresh token.
 */
export interface StoreGetOptions {
  fresh?: boolean
}

/** Options of `Store.set()`: `ttlSec`, after which the value may be dropped. */
export interface StoreSetOptions {
  ttlSec?: number
}

/**
 * Mutual exclusion across whatever shares the Store: callers in one process, tabs of a browser,
 * or processes of a fleet. `fn` runs while the lock is held; the lock is released when it settles.
 *
 * `fn` is given a {@link LockLease}. Locks held by a lease that must be renewed (RedisLock,
 * FileLock in @openrp/node) can lose it while `fn` runs: Redis restarted or failed over, the
 * event loop stalled past the lease, an operator deleted the key, another process took an
 * expired lock file over. Then `lease.signal` aborts with a `LockLostError` (code `LOCK_LOST`),
 * and another holder may be inside its own `fn`. Check `lease.signal.aborted` right before a
 * step that must not happen twice (sending a refresh token); a step already under way is better
 * finished and its result compared with what the store holds before it is written. Locks that
 * cannot lose their hold (InProcessLock, WebLocksLock) give a signal that never aborts. A `fn`
 * that takes no parameter still fits.
 *
 * Implementations written before `LockLease` existed may call `fn` without one: a caller that
 * must work with any Lock treats a missing lease as never lost.
 *
 * @example
 * ```ts
 * await lock.withLock('refresh:alice', async (lease) => {
 *   const current = await store.get('alice')
 *   if (lease.signal.aborted) throw lease.signal.reason // someone else may be refreshing now
 *   await store.set('alice', await refreshFrom(current))
 * })
 * ```
 */
export interface Lock {
  /** Runs `fn` while holding the lock `name`; rejects with LockTimeoutError when it is not acquired within `timeoutMs`. */
  withLock<T>(name: string, fn: (lease: LockLease) => Promise<T>, options?: LockOptions): Promise<T>
}

/**
 * What `fn` of {@link Lock.withLock} learns about its hold on the lock.
 *
 * @example
 * ```ts
 * await lock.withLock('job', async ({ signal }) => {
 *   signal.addEventListener('abort', () => console.warn(signal.reason), { once: true })
 *   await doWork()
 * })
 * ```
 */
export interface LockLease {
  /**
   * Aborts, with a `LockLostError` (code `LOCK_LOST`) as its `reason`, once the lock can no
   * longer be trusted to be held by this `fn` alone. It never aborts for locks that cannot lose
   * their hold, and it does not abort when `fn` settles normally.
   */
  readonly signal: AbortSignal
}

/** Options of `Lock.withLock()`. */
export interface LockOptions {
  /** How long to wait to acquire the lock before LockTimeoutError. */
  timeoutMs?: number
}

/**
 * Throws when the lease `fn` of {@link Lock.withLock} was given is lost: the abort reason when
 * it is a `LockLostError` (code `LOCK_LOST`), else a `LockLostError` around it. Call it right
 * before a step that must not happen twice. No lease (a Lock written before LockLease existed)
 * counts as held.
 *
 * @example
 * ```ts
 * await lock.withLock('refresh:alice', async (lease) => {
 *   const current = await store.get('alice')
 *   assertLeaseHeld(lease, 'refresh:alice') // someone else may be refreshing now
 *   await store.set('alice', await refreshFrom(current))
 * })
 * ```
 */
export function assertLeaseHeld(lease: LockLease | undefined, name: string): void {
  if (!lease?.signal.aborted) return
  const reason: unknown = lease.signal.reason
  throw reason instanceof LockLostError
    ? reason
    : new LockLostError(name, 'its lease was lost', { cause: reason })
}
