/**
 * Backoff and Retry-After for idempotent requests.
 *
 * @module
 */

/** Statuses worth another attempt: 408, 425, 429 and every 5xx except 501 / 505. */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 425 || status === 429) return true
  return status >= 500 && status !== 501 && status !== 505
}

/**
 * Parses a Retry-After header (delay-seconds or HTTP-date, RFC 9110 §10.2.3) into ms; an
 * HTTP-date counts from `now` (the client's clock). `undefined` when absent or unparsable;
 * never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined // HTTP-dates start with a day name
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/**
 * Delay before retry number `attempt` (1-based): Retry-After when given, else exponential
 * backoff capped at `maxDelayMs`. `undefined` when Retry-After asks for more than `maxDelayMs`:
 * retrying sooner than the provider asked would only add load, so the request fails at once.
 */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: { baseDelayMs: number; maxDelayMs: number },
): number | undefined {
  if (retryAfterMs !== undefined) return retryAfterMs > policy.maxDelayMs ? undefined : retryAfterMs
  return Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs)
}
