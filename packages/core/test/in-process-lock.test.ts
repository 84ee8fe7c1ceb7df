import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { sleep } from '../src/clock.ts'
import { LockTimeoutError } from '../src/errors.ts'
import { InProcessLock } from '../src/in-process-lock.ts'

/** Moves `clock` on 1 ms at a time until `work` settles; its result. */
async function drive<T>(clock: ManualClock, work: Promise<T>): Promise<T> {
  let settled = false
  work.then(
    () => (settled = true),
    () => (settled = true),
  )
  while (!settled) await clock.advance(1)
  return work
}

describe('InProcessLock', () => {
  it('never lets two holders of one name overlap', async () => {
    const clock = new ManualClock()
    const lock = new InProcessLock({ clock })
    let inside = 0
    let maxInside = 0
    const order: number[] = []
    await drive(
      clock,
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          lock.withLock('n', async () => {
            inside++
            maxInside = Math.max(maxInside, inside)
            await sleep(clock, i % 3)
            order.push(i)
            inside--
          }),
        ),
      ),
    )
    expect(maxInside).toBe(1)
    // first come, first served
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('lets different names run at the same time', async () => {
    const clock = new ManualClock()
    const lock = new InProcessLock({ clock })
    let inside = 0
    let maxInside = 0
    const work = async () => {
      inside++
      maxInside = Math.max(maxInside, inside)
      await sleep(clock, 20)
      inside--
    }
    await drive(clock, Promise.all([lock.withLock('a', work), lock.withLock('b', work)]))
    expect(maxInside).toBe(2)
  })

  it('returns the result of fn and releases after fn throws', async () => {
    const lock = new InProcessLock()
    await expect(
      lock.withLock('n', async () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(await lock.withLock('n', async () => 42, { timeoutMs: 10 })).toBe(42)
  })

  it('times out a waiter with LOCK_TIMEOUT without running its fn, and keeps the queue going', async () => {
    const clock = new ManualClock()
    const lock = new InProcessLock({ clock })
    let release!: () => void
    const holder = lock.withLock('n', () => new Promise<void>((r) => (release = r)))
    let ran = false
    let outcome: unknown
    const waiter = lock.withLock(
      'n',
      async () => {
        ran = true
      },
      { timeoutMs: 50 },
    )
    waiter.catch((e: unknown) => (outcome = e))
    // Still waiting 1 ms before its timeout; timed out at it.
    await clock.advance(49)
    expect(outcome).toBeUndefined()
    await clock.advance(1)
    await expect(waiter).rejects.toBeInstanceOf(LockTimeoutError)
    await expect(waiter).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' })
    expect(ran).toBe(false)
    const later = lock.withLock('n', async () => 'later', { timeoutMs: 1000 })
    release()
    await holder
    expect(await later).toBe('later')
    expect(ran).toBe(false)
  })

  it('hands fn a lease whose signal never aborts, however long fn holds the lock', async () => {
    const clock = new ManualClock()
    const lock = new InProcessLock({ clock })
    const signals: AbortSignal[] = []
    let waiterRan = false
    await drive(
      clock,
      Promise.all([
        lock.withLock('n', async ({ signal }) => {
          signals.push(signal)
          await sleep(clock, 100)
          expect(signal.aborted).toBe(false)
        }),
        lock.withLock('n', async ({ signal }) => {
          waiterRan = true
          signals.push(signal)
        }),
      ]),
    )
    expect(waiterRan).toBe(true)
    expect(signals).toHaveLength(2)
    expect(signals.every((s) => s instanceof AbortSignal && !s.aborted)).toBe(true)
    // One per hold: a listener one holder leaves behind is not on the next holder's signal.
    expect(signals[0]).not.toBe(signals[1])
    // A fn that fails does not abort it either.
    let failed: AbortSignal | undefined
    await expect(
      lock.withLock('n', async ({ signal }) => {
        failed = signal
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(failed?.aborted).toBe(false)
  })
})
