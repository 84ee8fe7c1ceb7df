import { describe, expect, it } from 'vitest'
import { isRetryableStatus, parseRetryAfter, retryDelay } from '../src/internal/retry.ts'

describe('Retry-After and backoff', () => {
  it('parses delay-seconds and HTTP-dates', () => {
    const now = Date.parse('Mon, 23 Nov 2026 08:00:00 GMT')
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Mon, 23 Nov 2026 08:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Mon, 23 Nov 2026 07:59:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter('-5', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })

  it('reads the three HTTP-date forms as GMT, also where the local zone is not (RFC 9110 §5.6.7)', () => {
    const now = Date.UTC(2026, 10, 23, 8, 0, 0)
    inTimeZone('America/New_York', () => {
      expect(parseRetryAfter('Mon, 23 Nov 2026 08:00:05 GMT', now)).toBe(5000)
      expect(parseRetryAfter('Monday, 23-Nov-26 08:00:05 GMT', now)).toBe(5000)
      // asctime names no zone, and is GMT all the same.
      expect(parseRetryAfter('Mon Nov 23 08:00:05 2026', now)).toBe(5000)
      expect(parseRetryAfter('Mon Nov  2 08:00:00 2026', now)).toBe(0)
      expect(parseRetryAfter('Mon Dec  7 08:00:00 2026', now)).toBe(14 * 86_400_000)
    })
  })

  it.each([
    // A zone other than GMT, or none where the form needs one.
    'Mon, 23 Nov 2026 08:00:05',
    'Mon, 23 Nov 2026 08:00:05 UTC',
    'Mon, 23 Nov 2026 08:00:05 +0000',
    'Mon, 23 Nov 2026 08:00:05 EST',
    'Monday, 23-Nov-26 08:00:05',
    'Mon Nov 23 08:00:05 2026 GMT',
    // Not an HTTP-date at all, although Date.parse reads some of these.
    'Mon, 23 Nov 2026',
    'Mon Nov 23 2026',
    'Monday',
    'Mon 2026-11-23T08:00:05Z',
    '2026-11-23T08:00:05Z',
    'Mon, 23 Nov 2026 08:00:05 GMT trailing',
    'mon, 23 nov 2026 08:00:05 gmt',
    'Mon Nov 23 08:00:05 26',
  ])('refuses %j (not an HTTP-date in GMT)', (value) => {
    const now = Date.UTC(2026, 10, 23, 8, 0, 0)
    inTimeZone('America/New_York', () => {
      expect(parseRetryAfter(value, now)).toBeUndefined()
    })
  })

  it('caps backoff delays and backs off exponentially', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 }
    expect(retryDelay(1, undefined, policy)).toBe(100)
    expect(retryDelay(3, undefined, policy)).toBe(400)
    expect(retryDelay(10, undefined, policy)).toBe(1000)
    expect(retryDelay(1, 0, policy)).toBe(0)
    expect(retryDelay(1, 1000, policy)).toBe(1000)
  })

  it('gives no delay (no retry) when Retry-After asks for more than maxDelayMs', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 }
    expect(retryDelay(1, 1001, policy)).toBeUndefined()
    expect(retryDelay(1, 30_000, policy)).toBeUndefined()
  })

  it('retries 408, 425, 429 and 5xx except 501 / 505', () => {
    expect([408, 425, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true)
    expect([200, 400, 401, 404, 501, 505].some(isRetryableStatus)).toBe(false)
  })
})

/**
 * Runs `fn` with the process's local time zone set to `zone`, then restores it. Synchronous, so
 * no other test of the worker runs meanwhile.
 */
function inTimeZone(zone: string, fn: () => void): void {
  const saved = process.env.TZ
  process.env.TZ = zone
  try {
    fn()
  } finally {
    if (saved === undefined) delete process.env.TZ
    else process.env.TZ = saved
  }
}
