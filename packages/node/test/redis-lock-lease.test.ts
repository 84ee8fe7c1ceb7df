// RedisLock tells fn when its lease is lost (LockLease.signal), against a real redis-server.
import { isOpenRpError, type LockLease } from '@openrp/core'
import { describe, expect, it } from 'vitest'
import { RedisLock } from '../src/redis-lock.ts'
import { useRedis } from './helpers/redis.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const redis = useRedis()

/** Resolves with the time (epoch ms) the signal aborted, and its reason. */
function aborted(signal: AbortSignal): Promise<{ at: number; reason: unknown }> {
  return new Promise((resolve) => {
    signal.addEventListener('abort', () => resolve({ at: Date.now(), reason: signal.reason }), {
      once: true,
    })
  })
}

describe('RedisLock lease loss', () => {
  // Long enough that a busy machine (every test file at once) does not lose it for real.
  const LEASE_MS = 900

  for (const [what, steal] of [
    ['deleted', () => redis.raw.del('lease:gone')],
    [
      'overwritten with another token',
      () =>
        redis.raw.set('lease:gone', 'another-holder', { expiration: { type: 'PX', value: 5000 } }),
    ],
  ] as const) {
    it(`aborts lease.signal with LOCK_LOST within a renewal interval when the key is ${what}`, async () => {
      const lock = new RedisLock({ url: redis.server.url, leaseMs: LEASE_MS, prefix: 'lease:' })
      try {
        await lock.withLock('gone', async ({ signal }) => {
          await sleep(50)
          expect(signal.aborted).toBe(false)
          const abort = aborted(signal)
          const stolenAt = Date.now()
          await steal()
          const { at, reason } = await abort
          // The next renewal (every LEASE_MS / 3) finds it, well before the lease would end.
          expect(isOpenRpError(reason, 'LOCK_LOST')).toBe(true)
          expect((reason as Error).message).toMatch(/taken by another holder or removed/)
          expect(at - stolenAt).toBeLessThan(LEASE_MS * 0.8)
        })
        // Release never deletes what is not ours.
        if (what !== 'deleted') expect(await redis.raw.get('lease:gone')).toBe('another-holder')
      } finally {
        await redis.raw.del('lease:gone')
        await lock.close()
      }
    })
  }

  it('never aborts a holder whose fn runs for several leases', async () => {
    const lock = new RedisLock({ url: redis.server.url, leaseMs: LEASE_MS, prefix: 'lease:' })
    try {
      let seen: LockLease | undefined
      await lock.withLock('long', async (lease) => {
        seen = lease
        lease.signal.addEventListener('abort', () => expect.fail('the lease was reported lost'))
        for (let i = 0; i < 7; i++) {
          await sleep(LEASE_MS / 2)
          expect(await redis.raw.pTTL('lease:long')).toBeGreaterThan(0)
        }
      })
      expect(seen?.signal.aborted).toBe(false)
      expect(await redis.raw.exists('lease:long')).toBe(0)
    } finally {
      await lock.close()
    }
  })

  it('does not abort after fn settled, whatever happens to the key then', async () => {
    const lock = new RedisLock({ url: redis.server.url, leaseMs: LEASE_MS, prefix: 'lease:' })
    try {
      const lease = await lock.withLock('done', async (l) => l)
      await redis.raw.set('lease:done', 'next-holder')
      await sleep(LEASE_MS / 2)
      expect(lease.signal.aborted).toBe(false)
    } finally {
      await redis.raw.del('lease:done')
      await lock.close()
    }
  })

  it('aborts at the first renewal after Redis restarted without the key', async () => {
    const leaseMs = 3000
    const lock = new RedisLock({
      url: redis.server.url,
      leaseMs,
      prefix: 'lease:',
      commandTimeoutMs: 200,
      maxReconnectDelayMs: 50,
    })
    try {
      await lock.withLock('restart', async ({ signal }) => {
        const abort = aborted(signal)
        // A restart with an empty data set: what a failover to a replica that never saw the
        // key looks like to the holder.
        await redis.server.restart()
        const restartedAt = Date.now()
        const { at, reason } = await abort
        expect(at - restartedAt).toBeLessThan(leaseMs * 0.8)
        expect(isOpenRpError(reason, 'LOCK_LOST')).toBe(true)
        expect((reason as Error).message).toMatch(/taken by another holder or removed/)
      })
    } finally {
      await lock.close()
    }
  })

  // Last in this file: it stops the shared redis-server (and starts it again).
  it('aborts about one lease after the last renewal when Redis goes away', async () => {
    const leaseMs = 900
    const lock = new RedisLock({
      url: redis.server.url,
      leaseMs,
      prefix: 'lease:',
      commandTimeoutMs: 100,
    })
    try {
      await lock.withLock('outage', async ({ signal }) => {
        await sleep(leaseMs / 2)
        expect(signal.aborted).toBe(false)
        const abort = aborted(signal)
        const stoppedAt = Date.now()
        await redis.server.stop(true)
        const { at, reason } = await abort
        // Not at the first failed renewal: only when a whole lease has passed since the last
        // renewal Redis confirmed (about one renewal interval before the outage).
        expect(isOpenRpError(reason, 'LOCK_LOST')).toBe(true)
        expect(at - stoppedAt).toBeGreaterThanOrEqual(leaseMs / 3)
        expect(at - stoppedAt).toBeLessThan(leaseMs + 500)
        expect((reason as Error).message).toMatch(/could not be renewed/)
      })
    } finally {
      await redis.server.restart()
      await lock.close()
    }
  })
})
