/**
 * The brake on guessing device user codes (RFC 8628 §5.1): user codes are short (8 letters of 20,
 * about 34.5 bits), so the verification page counts the wrong codes entered from each source
 * address and, after `limit` of them within `windowMs`, refuses every code entry from it (the
 * right code too: otherwise the lockout would still answer the guess) until the oldest wrong one
 * leaves the window.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-5.1
 */

/** Wrong user codes a source may enter within a device code's lifetime, by default. */
export const DEFAULT_USER_CODE_ATTEMPTS = 5

export class UserCodeAttempts {
  readonly #limit: number
  readonly #windowMs: number
  /** Source address -> times (server milliseconds) of its wrong codes within the window, oldest first. */
  readonly #failures = new Map<string, number[]>()

  /**
   * @param limit wrong codes allowed per source within the window (`Infinity`: no limit)
   * @param windowMs how long a wrong code counts, milliseconds
   */
  constructor(limit: number, windowMs: number) {
    if (!(Number.isInteger(limit) && limit >= 1) && limit !== Number.POSITIVE_INFINITY)
      throw new TypeError('deviceUserCodeAttempts must be a whole number of 1 or more, or Infinity')
    this.#limit = limit
    this.#windowMs = windowMs
  }

  /** Seconds until `source` may enter a code again; 0 when it may now. */
  retryAfter(source: string, nowMs: number): number {
    const failures = this.#live(source, nowMs)
    if (failures.length < this.#limit) return 0
    return Math.max(1, Math.ceil((failures[0]! + this.#windowMs - nowMs) / 1000))
  }

  /** Counts a wrong code entered from `source`. */
  fail(source: string, nowMs: number): void {
    if (this.#limit === Number.POSITIVE_INFINITY) return
    const failures = this.#live(source, nowMs)
    failures.push(nowMs)
    this.#failures.set(source, failures)
  }

  /** The failures of `source` still within the window (older ones, and empty entries, dropped). */
  #live(source: string, nowMs: number): number[] {
    const failures = (this.#failures.get(source) ?? []).filter((t) => t > nowMs - this.#windowMs)
    if (failures.length) this.#failures.set(source, failures)
    else this.#failures.delete(source)
    return failures
  }
}
