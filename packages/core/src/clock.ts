/**
 * Time, injected. Every decision that depends on time (expiry, proactive refresh, backoff,
 * polling intervals, lock waits) reads it from a {@link Clock}, so tests drive time instead of
 * waiting for it.
 *
 * @module
 */

/** An opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown

/**
 * Wall-clock time and timers. {@link systemClock} is the real one; tests pass a clock they
 * advance by hand.
 *
 * @example
 * ```ts
 * const manager = new TokenManager({ client, store, key: 'alice', clock: systemClock })
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, like `Date.now()`. */
  now(): number
  /** Runs `fn` once after `ms` milliseconds of this clock's time. */
  setTimeout(fn: () => void, ms: number): TimerHandle
  /** Cancels a timer of {@link Clock.setTimeout}; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void
}

/** The real clock: `Date.now()` and the global timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/**
 * Resolves after `ms` of `clock`'s time, or rejects with `signal.reason` once `signal` aborts.
 *
 * @example
 * ```ts
 * await sleep(clock, 1_000, controller.signal)
 * ```
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clock.clearTimeout(handle)
      reject(signal?.reason)
    }
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
