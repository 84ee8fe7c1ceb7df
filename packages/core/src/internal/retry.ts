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
 * HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms) is GMT, and counts from
 * `now` (the client's clock). `undefined` when absent or neither of the two; never negative.
 * The forms are told apart, not validated in every detail: a date that does not exist is read
 * as Date.parse reads it (the pause is capped anyway, see `MAX_RETRY_AFTER_MS`).
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = parseHttpDate(trimmed)
  return date === undefined ? undefined : Math.max(0, date - now)
}

/**
 * HTTP-dates (RFC 9110 §5.6.7) are GMT. IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and the
 * obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`) say so, and Date.parse reads them
 * right. The obsolete asctime form (`Sun Nov  6 08:49:37 1994`) names no zone: Date.parse would
 * read it in the local time zone, so it is given its GMT first.
 */
const GMT_DATE = /^[A-Z][a-z]{2,8}, [\w -]+ \d\d:\d\d:\d\d GMT$/
const ASCTIME_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/

/** The epoch ms of an HTTP-date in any of its forms; `undefined` for anything else. */
function parseHttpDate(value: string): number | undefined {
  const gmt = GMT_DATE.test(value) ? value : ASCTIME_DATE.test(value) ? `${value} GMT` : undefined
  const date = gmt === undefined ? Number.NaN : Date.parse(gmt)
  return Number.isNaN(date) ? undefined : date
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
