/**
 * Where tokens and transactions live. Values are plain JSON; every method is async so the same
 * interface fits memory, IndexedDB, files and Redis.
 */
export interface Store {
  /** The value stored under `key`, or `undefined`. Throws StoreError when the backend fails. */
  get<T = unknown>(key: string): Promise<T | undefined>
  /** Stores a JSON value; `ttlSec` lets the backend drop it after that many seconds. */
  set(key: string, value: unknown, options?: StoreSetOptions): Promise<void>
  delete(key: string): Promise<void>
}

export interface StoreSetOptions {
  ttlSec?: number
}

/**
 * Mutual exclusion across whatever shares the Store: callers in one process, tabs of a browser,
 * or processes of a fleet. `fn` runs while the lock is held; the lock is released when it settles.
 */
export interface Lock {
  withLock<T>(name: string, fn: () => Promise<T>, options?: LockOptions): Promise<T>
}

export interface LockOptions {
  /** How long to wait to acquire the lock before LockTimeoutError. */
  timeoutMs?: number
}
