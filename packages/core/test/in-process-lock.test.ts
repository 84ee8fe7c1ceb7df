import { describe, expect, it } from 'vitest'
import { LockTimeoutError } from '../src/errors.ts'
import { InProcessLock } from '../src/in-process-lock.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('InProcessLock', () => {
  it('never lets two holders of one name overlap', async () => {
    const lock = new InProcessLock()
    let inside = 0
    let maxInside = 0
    const order: number[] = []
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        lock.withLock('n', async () => {
          inside++
          maxInside = Math.max(maxInside, inside)
          await sleep(i % 3)
          order.push(i)
          inside--
        }),
      ),
    )
    expect(maxInside).toBe(1)
    // first come, first served
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('lets different names run at the same time', async () => {
    const lock = new InProcessLock()
    let inside = 0
    let maxInside = 0
    const work = async () => {
      inside++
      maxInside = Math.max(maxInside, inside)
      await sleep(20)
      inside--
    }
    await Promise.all([lock.withLock('a', work), lock.withLock('b', work)])
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
    const lock = new InProcessLock()
    let release!: () => void
    const holder = lock.withLock('n', () => new Promise<void>((r) => (release = r)))
    let ran = false
    const started = Date.now()
    const waiter = lock.withLock(
      'n',
      async () => {
        ran = true
      },
      { timeoutMs: 50 },
    )
    await expect(waiter).rejects.toBeInstanceOf(LockTimeoutError)
    await expect(waiter).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(45)
    expect(ran).toBe(false)
    const later = lock.withLock('n', async () => 'later', { timeoutMs: 1000 })
    release()
    await holder
    expect(await later).toBe('later')
    expect(ran).toBe(false)
  })
})
