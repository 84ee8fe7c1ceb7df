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

/**
 * The longest delay the platforms' timers take (2³¹ − 1 ms, about 24.8 days): browsers, Node,
 * Deno and workerd fire a longer one at once.
 */
const MAX_DELAY_MS = 2 ** 31 - 1

/**
 * A timer longer than {@link MAX_DELAY_MS}: global timers of at most that length, one after
 * another, until the time has come. `unref()` passes on to each, as on a Node timer.
 */
class LongTimer {
  #timer: ReturnType<typeof setTimeout> | undefined
  #unref = false

  constructor(fn: () => void, ms: number) {
    const due = Date.now() + ms
    const next = () => {
      const left = due - Date.now()
      this.#timer = globalThis.setTimeout(
        left > MAX_DELAY_MS ? next : fn,
        Math.min(left, MAX_DELAY_MS),
      )
      if (this.#unref) this.unref()
    }
    next()
  }

  clear(): void {
    globalThis.clearTimeout(this.#timer)
  }

  unref(): this {
    this.#unref = true
    ;(this.#timer as { unref?: () => void } | undefined)?.unref?.()
    return this
  }
}

/** The real clock: `Date.now()` and the global timers, also for delays beyond 24.8 days. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) =>
    ms > MAX_DELAY_MS ? new LongTimer(fn, ms) : globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) =>
    handle instanceof LongTimer
      ? handle.clear()
      : globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
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
