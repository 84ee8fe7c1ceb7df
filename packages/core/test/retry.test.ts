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
