/**
 * One deadline per operation: the caller's AbortSignal and `timeoutMs` merged into one signal,
 * remembering which of the two fired so the right typed error is thrown.
 *
 * It runs on every request, so it is one object with its methods on the prototype: no closures
 * per call besides the timer's callback, and a listener on the caller's signal only when there
 * is one (the deadline itself is that listener, through `handleEvent`).
 *
 * @module
 */
import { type Clock, systemClock, type TimerHandle } from '../clock.ts'
import { AbortError, InvalidArgumentError, OpenRpError, TimeoutError } from '../errors.ts'

export interface Deadline {
  readonly signal: AbortSignal
  /** The typed error for the current abort (TimeoutError or AbortError). */
  error(cause?: unknown): OpenRpError
  /** Clears the timer; call when the operation settles. */
  dispose(): void
}

class OperationDeadline implements Deadline {
  readonly #controller = new AbortController()
  readonly #timeoutMs: number
  readonly #clock: Clock
  readonly #callerSignal: AbortSignal | undefined
  readonly #timer: TimerHandle
  #timedOut = false

  constructor(timeoutMs: number, signal: AbortSignal | undefined, clock: Clock) {
    this.#timeoutMs = timeoutMs
    this.#clock = clock
    this.#callerSignal = signal
    this.#timer = clock.setTimeout(() => this.#expire(), timeoutMs)
    if (signal?.aborted) this.handleEvent()
    else signal?.addEventListener('abort', this, { once: true })
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** The caller's signal fired (an `EventListenerObject`, so no closure is needed). */
  handleEvent(): void {
    this.#controller.abort(this.#callerSignal?.reason)
  }

  error(cause?: unknown): OpenRpError {
    return this.#timedOut ? new TimeoutError(this.#timeoutMs) : new AbortError(undefined, { cause })
  }

  dispose(): void {
    this.#clock.clearTimeout(this.#timer)
    this.#callerSignal?.removeEventListener('abort', this)
  }

  #expire(): void {
    this.#timedOut = true
    this.#controller.abort(new TimeoutError(this.#timeoutMs))
  }
}

/** Starts a deadline of `timeoutMs` on `clock` that also follows `signal`. */
export function startDeadline(
  timeoutMs: number,
  signal?: AbortSignal,
  clock: Clock = systemClock,
): Deadline {
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new InvalidArgumentError('signal must be an AbortSignal')
  return new OperationDeadline(timeoutMs, signal, clock)
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
