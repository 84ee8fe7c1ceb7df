/**
 * One deadline per operation: the caller's AbortSignal and `timeoutMs` merged into one signal,
 * remembering which of the two fired so the right typed error is thrown.
 *
 * @module
 */
import { AbortError, InvalidArgumentError, OpenRpError, TimeoutError } from '../errors.ts'

export interface Deadline {
  readonly signal: AbortSignal
  /** The typed error for the current abort (TimeoutError or AbortError). */
  error(cause?: unknown): OpenRpError
  /** Clears the timer; call when the operation settles. */
  dispose(): void
}

/** Starts a deadline of `timeoutMs` that also follows `signal`. */
export function startDeadline(timeoutMs: number, signal?: AbortSignal): Deadline {
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new InvalidArgumentError('signal must be an AbortSignal')
  const controller = new AbortController()
  let timedOut = false
  const onAbort = () => controller.abort(signal?.reason)
  const timer = setTimeout(() => {
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
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    },
  }
}

/** Runs `fn` under a deadline; aborts become TimeoutError / AbortError. */
export async function withDeadline<T>(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  fn: (deadline: Deadline) => Promise<T>,
): Promise<T> {
  const deadline = startDeadline(timeoutMs, signal)
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
