import { sleep } from '@openrp/core'
import { flush, freePort, ManualClock } from '@openrp/testkit'
import { describe, expect, it, vi } from 'vitest'
import { RedisLock } from '../src/redis-lock.ts'
import { advanceUntilSettled as advanceClockUntilSettled } from './helpers/clock.ts'
import { useRedis } from './helpers/redis.ts'

const redis = useRedis()

/**
 * Advances `clock` in steps of `stepMs` until `work` settles, letting Redis's replies in
 * between (real I/O: a reply that comes late only makes a waiter poll later on the clock).
 */
const advanceUntilSettled = (clock: ManualClock, work: Promise<unknown>, stepMs: number) =>
  advanceClockUntilSettled(clock, work, stepMs, 60_000, () => flush())

describe('RedisLock', () => {
  it('excludes holders across separate connections', async () => {
    const clock = new ManualClock()
    const locks = Array.from({ length: 4 }, () => new RedisLock({ url: redis.server.url, clock }))
    try {
      let inside = 0
      let maxInside = 0
      let runs = 0
      const all = Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          locks[i % locks.length]!.withLock(
            'excl',
            async () => {
              inside++
              runs++
              maxInside = Math.max(maxInside, inside)
              await sleep(clock, 5)
              inside--
            },
            // Clock time runs ahead of Redis's replies here; no waiter should give up.
            { timeoutMs: 3_600_000 },
          ),
        ),
      )
      await advanceUntilSettled(clock, all, 5)
      await all
      expect(runs).toBe(24)
      expect(maxInside).toBe(1)
      expect(await redis.raw.exists('openrp:lock:excl')).toBe(0)
    } finally {
      await Promise.all(locks.map((l) => l.close()))
    }
  })

  it('times out a waiter with LOCK_TIMEOUT without running fn', async () => {
    const clock = new ManualClock()
    const a = new RedisLock({ url: redis.server.url, clock })
    const b = new RedisLock({ url: redis.server.url, clock })
    try {
      let release!: () => void
      let held = false
      const holding = a.withLock('busy', () => {
        held = true
        return new Promise<void>((r) => (release = r))
      })
      await vi.waitFor(() => expect(held).toBe(true))
      let ran = false
      const waiting = b
        .withLock(
          'busy',
          async () => {
            ran = true
          },
          { timeoutMs: 300 },
        )
        .catch((e: unknown) => e)
      // Not before 300 ms of its clock.
      expect(await advanceUntilSettled(clock, waiting, 10)).toBeGreaterThanOrEqual(300)
      expect(await waiting).toMatchObject({ code: 'LOCK_TIMEOUT' })
      expect(ran).toBe(false)
      release()
      await holding
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('releases only its own lock (compare-and-delete)', async () => {
    const lock = new RedisLock({ url: redis.server.url })
    try {
      await lock.withLock('owned', async () => {
        // Our lease "expired" and someone else took the lock meanwhile.
        await redis.raw.set('openrp:lock:owned', 'someone-else', {
          expiration: { type: 'PX', value: 10_000 },
        })
      })
      expect(await redis.raw.get('openrp:lock:owned')).toBe('someone-else')
    } finally {
      await lock.close()
    }
  })

  // Real time: the key's expiry (PX) is Redis's own clock, the very thing under test.
  it('is freed by its lease when a holder crashed without releasing', async () => {
    await redis.raw.set('openrp:lock:crashed', 'dead-holder', {
      expiration: { type: 'PX', value: 300 },
    })
    const lock = new RedisLock({ url: redis.server.url })
    try {
      const started = Date.now()
      expect(await lock.withLock('crashed', async () => 'got it', { timeoutMs: 5000 })).toBe(
        'got it',
      )
      expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    } finally {
      await lock.close()
    }
  })

  it('keeps extending the lease while fn runs longer than it', async () => {
    // The lease is long (Redis never expires the key during the test); the test shortens the
    // key's TTL and sees each renewal (every third of the lease, on the clock) restore it.
    const leaseMs = 30_000
    const clock = new ManualClock()
    const lock = new RedisLock({ url: redis.server.url, leaseMs, clock })
    const other = new RedisLock({ url: redis.server.url, clock })
    try {
      let otherGot = false
      await lock.withLock('long', async () => {
        const attempt = other
          .withLock(
            'long',
            async () => {
              otherGot = true
            },
            { timeoutMs: leaseMs * 2 },
          )
          .catch((e: unknown) => e)
        for (let i = 0; i < 6; i++) {
          await redis.raw.pExpire('openrp:lock:long', 5_000)
          await clock.advance(leaseMs / 3)
          await vi.waitFor(
            async () => expect(await redis.raw.pTTL('openrp:lock:long')).toBeGreaterThan(5_000),
            { timeout: 5000, interval: 2 },
          )
        }
        await advanceUntilSettled(clock, attempt, 100)
        expect(await attempt).toMatchObject({ code: 'LOCK_TIMEOUT' })
      })
      expect(otherGot).toBe(false)
    } finally {
      await Promise.all([lock.close(), other.close()])
    }
  })

  // Real time: the command timeout is the Redis connection's, and CLIENT PAUSE is Redis's.
  it('releases its lock when the SET NX timed out but Redis carried it out (no orphan for a lease)', async () => {
    const lock = new RedisLock({ url: redis.server.url, commandTimeoutMs: 200, prefix: 'orphan:' })
    try {
      await lock.withLock('warm-up', async () => {})
      // Redis holds writes for 700 ms: the SET NX times out for the client, then runs.
      await redis.raw.sendCommand(['CLIENT', 'PAUSE', '700', 'WRITE'])
      let ran = false
      const started = Date.now()
      const error = await lock
        .withLock('k', async () => {
          ran = true
        })
        .catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'STORE_ERROR', cause: { code: 'TIMEOUT' } })
      expect(Date.now() - started).toBeLessThan(600)
      expect(ran).toBe(false)
      // Once Redis resumes, it runs the SET and then the release queued behind it.
      await vi.waitFor(async () => expect(await redis.raw.get('orphan:k')).toBeNull(), {
        timeout: 3000,
        interval: 20,
      })
      // Another holder gets it at once instead of after a 15 s lease.
      const other = new RedisLock({ url: redis.server.url, prefix: 'orphan:' })
      try {
        expect(await other.withLock('k', async () => 'got', { timeoutMs: 200 })).toBe('got')
      } finally {
        await other.close()
      }
    } finally {
      await redis.raw.sendCommand(['CLIENT', 'UNPAUSE'])
      await lock.close()
    }
  })

  it('refuses a leaseMs Redis or a timer cannot take with INVALID_ARGUMENT', () => {
    // A fraction failed every SET PX (not an integer); past 2^31 - 1 ms, Infinity included,
    // the renewal timer overflowed and fired every ms.
    for (const leaseMs of [10, Number.NaN, 1500.5, 2 ** 31, Number.POSITIVE_INFINITY]) {
      expect(() => new RedisLock({ url: redis.server.url, leaseMs })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
  })

  it('gives STORE_ERROR when Redis is unreachable', async () => {
    const lock = new RedisLock({
      url: `redis://127.0.0.1:${await freePort()}`,
      connectTimeoutMs: 300,
    })
    try {
      await expect(lock.withLock('x', async () => 1)).rejects.toMatchObject({ code: 'STORE_ERROR' })
    } finally {
      await lock.close()
    }
  })
})
