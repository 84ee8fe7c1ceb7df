// systemClock with delays past what the platforms' timers take (2³¹ − 1 ms): a longer one used
// to fire at once, so a `timeoutMs` of 30 days timed every request out immediately. Fake timers
// here stand in for the global ones (they overflow the same way), hence this file runs in the
// process-wide project.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { sleep, systemClock } from '../src/clock.ts'

const DAY_MS = 24 * 60 * 60 * 1000

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) })
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

describe('systemClock', () => {
  it('fires a 30-day timer after 30 days, not at once', () => {
    const fn = vi.fn()
    systemClock.setTimeout(fn, 30 * DAY_MS)
    vi.advanceTimersByTime(1000)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(30 * DAY_MS - 1001)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fn).toHaveBeenCalledOnce()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('cancels a long timer before and after its first 24.8 days', () => {
    const early = vi.fn()
    const late = vi.fn()
    const a = systemClock.setTimeout(early, 60 * DAY_MS)
    const b = systemClock.setTimeout(late, 60 * DAY_MS)
    systemClock.clearTimeout(a)
    vi.advanceTimersByTime(40 * DAY_MS)
    systemClock.clearTimeout(b)
    vi.advanceTimersByTime(40 * DAY_MS)
    expect(early).not.toHaveBeenCalled()
    expect(late).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('sleeps the whole of a long delay', async () => {
    let woke = false
    const done = sleep(systemClock, 25 * DAY_MS).then(() => {
      woke = true
    })
    await vi.advanceTimersByTimeAsync(2 ** 31 - 1)
    expect(woke).toBe(false)
    await vi.advanceTimersByTimeAsync(25 * DAY_MS - (2 ** 31 - 1))
    await done
    expect(woke).toBe(true)
  })

  it('keeps short timers as they were: a plain global timer', () => {
    const fn = vi.fn()
    const handle = systemClock.setTimeout(fn, 10)
    expect(handle).toEqual(expect.objectContaining({ unref: expect.any(Function) }))
    vi.advanceTimersByTime(10)
    expect(fn).toHaveBeenCalledOnce()
  })

  it('passes unref() on to every timer of a long one', () => {
    const timers = vi.spyOn(globalThis, 'setTimeout')
    const fn = vi.fn()
    const handle = systemClock.setTimeout(fn, 30 * DAY_MS) as { unref(): unknown }
    expect(handle.unref()).toBe(handle)
    vi.advanceTimersByTime(2 ** 31 - 1)
    const inner = timers.mock.results.map((r) => r.value as { hasRef(): boolean })
    expect(inner).toHaveLength(2)
    expect(inner.map((t) => t.hasRef())).toEqual([false, false])
    vi.advanceTimersByTime(30 * DAY_MS)
    expect(fn).toHaveBeenCalledOnce()
  })
})
