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
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = parseHttpDate(trimmed, now)
  return date === undefined ? undefined : Math.max(0, date - now)
}

const DAY_NAME = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
const TIME = '(\\d\\d:\\d\\d:\\d\\d)'
/** The three forms of HTTP-date (RFC 9110 §5.6.7), case-sensitive; every one is in GMT. */
const IMF_FIXDATE = new RegExp(`^${DAY_NAME}, \\d\\d ${MONTH} \\d{4} ${TIME} GMT$`)
const RFC850_DATE = new RegExp(
  `^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\\d\\d)-${MONTH}-(\\d\\d) ${TIME} GMT$`,
)
const ASCTIME_DATE = new RegExp(`^${DAY_NAME} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`)

/**
 * The epoch ms of an HTTP-date, read as GMT whatever its form (an asctime date names no zone);
 * `undefined` for anything else, including dates that do not exist (31 Feb, 24:00).
 */
function parseHttpDate(value: string, now: number): number | undefined {
  const imf = asImfFixdate(value, now)
  if (imf === undefined) return undefined
  const date = new Date(Date.parse(imf))
  // toUTCString() writes IMF-fixdate: a date that does not exist (31 Feb rolls over to 3 Mar),
  // or one the engine read otherwise, comes back different. The day name is not compared.
  return date.toUTCString().slice(3) === imf.slice(3) ? date.getTime() : undefined
}

/** An HTTP-date in the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`), or `undefined`. */
function asImfFixdate(value: string, now: number): string | undefined {
  if (IMF_FIXDATE.test(value)) return value
  const dayName = value.slice(0, 3)
  const rfc850 = RFC850_DATE.exec(value)
  if (rfc850) {
    // Sunday, 06-Nov-94 08:49:37 GMT: the latest year with these two digits that is not more
    // than 50 years ahead.
    const [, day, month, yy, time] = rfc850
    const thisYear = new Date(now).getUTCFullYear()
    let year = thisYear - (thisYear % 100) + Number(yy)
    if (year > thisYear + 50) year -= 100
    return `${dayName}, ${day} ${month} ${year} ${time} GMT`
  }
  const asctime = ASCTIME_DATE.exec(value)
  if (asctime) {
    // Sun Nov  6 08:49:37 1994
    const [, month, day, time, year] = asctime
    return `${dayName}, ${day!.replace(' ', '0')} ${month} ${year} ${time} GMT`
  }
  return undefined
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
