/**
 * One deadline per operation: the caller's AbortSignal and `timeoutMs` merged into one signal,
 * remembering which of the two fired so the right typed error is thrown.
 *
 * @module
 */
import { type Clock, systemClock } from '../clock.ts'
import { AbortError, InvalidArgumentError, OpenRpError, TimeoutError } from '../errors.ts'

export interface Deadline {
  readonly signal: AbortSignal
  /** The typed error for the current abort (TimeoutError or AbortError). */
  error(cause?: unknown): OpenRpError
  /** Clears the timer; call when the operation settles. */
  dispose(): void
}

/** Starts a deadline of `timeoutMs` on `clock` that also follows `signal`. */
export function startDeadline(
  timeoutMs: number,
  signal?: AbortSignal,
  clock: Clock = systemClock,
): Deadline {
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new InvalidArgumentError('signal must be an AbortSignal')
  const controller = new AbortController()
  let timedOut = false
  const onAbort = () => controller.abort(signal?.reason)
  const timer = clock.setTimeout(() => {
    timedOut = true
    controller.abort(new TimeoutError(timeoutMs))
  }, timeoutMs)
  if (signal?.aborted) onAbort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    error(cause) {
      return timedOut ? new TimeoutError(timeoutMs) : new AbortError(undefined, { cause })
    },
    dispose() {
      clock.clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    },
  }
}

/** Runs `fn` under a deadline on `clock`; aborts become TimeoutError / AbortError. */
export async function withDeadline<T>(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  fn: (deadline: Deadline) => Promise<T>,
  clock: Clock = systemClock,
): Promise<T> {
  const deadline = startDeadline(timeoutMs, signal, clock)
  try {
    if (deadline.signal.aborted) throw deadline.error()
    return await fn(deadline)
  } catch (error) {
    // Whatever broke because this deadline fired (fetch, a nested operation) reports as this
    // deadline's TimeoutError / AbortError; other typed errors pass through.
    const abortFamily =
      error instanceof TimeoutError ||
      error instanceof AbortError ||
      !(error instanceof OpenRpError)
    if (deadline.signal.aborted && abortFamily) throw deadline.error(error)
    throw error
  } finally {
    deadline.dispose()
  }
}
