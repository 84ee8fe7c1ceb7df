/**
 * Driving a client's clock while its requests travel over real HTTP: the test waits (for the
 * I/O, not for time) until the client is parked on its clock's timers, then moves the clock.
 */
import type { ManualClock } from '@openrp/testkit'
import { expect, vi } from 'vitest'

/** A whole second near now: an HTTP-date (second precision) then names an exact clock time. */
export function wholeSecondNow(): number {
  return Math.floor(Date.now() / 1000) * 1000
}

/**
 * Resolves once `clock` has at least `count` timers pending (e.g. an operation's deadline and
 * its retry wait): everything the client does before waiting on its clock has happened.
 */
export async function timersPending(clock: ManualClock, count: number): Promise<void> {
  await vi.waitFor(() => expect(clock.pendingTimers).toBeGreaterThanOrEqual(count), {
    timeout: 10_000,
    interval: 2,
  })
}

/** Whether `promise` has settled, readable at any time without awaiting it. */
export function watch(promise: Promise<unknown>): { readonly settled: boolean } {
  const state = { settled: false }
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  )
  return state
}

/** Resolves once `state` (from {@link watch}) has settled; fails after 5 s of real time. */
export async function settles(state: { readonly settled: boolean }): Promise<void> {
  await vi.waitFor(() => expect(state.settled).toBe(true), { timeout: 5000, interval: 2 })
}
