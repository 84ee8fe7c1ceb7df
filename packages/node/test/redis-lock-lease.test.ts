// RedisLock tells fn when its lease is lost (LockLease.signal), against a real redis-server.
// Renewals and the watchdog follow a manual clock; the key's expiry (PX) is Redis's own time,
// so leases are long enough (30 s) that Redis never expires a key during a test, and a renewal
// is seen by the key's TTL going back up after the test shortened it.
import { isOpenRpError, type LockLease } from '@openrp/core'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it, vi } from 'vitest'
import { RedisLock } from '../src/redis-lock.ts'
import { useRedis } from './helpers/redis.ts'

const redis = useRedis()

const LEASE_MS = 30_000

/** Resolves with the time on `clock` the signal aborted, and its reason. */
function aborted(
  signal: AbortSignal,
  clock: ManualClock,
): Promise<{ at: number; reason: unknown }> {
  return new Promise((resolve) => {
    signal.addEventListener('abort', () => resolve({ at: clock.now(), reason: signal.reason }), {
      once: true,
    })
  })
}

/**
 * Moves `clock` on by `ms` to a renewal of `key` and waits (real time, for Redis's reply) until
 * that renewal reached Redis: the test shortened the key's TTL first, the renewal restores it.
 */
async function advanceToRenewal(clock: ManualClock, key: string, ms: number): Promise<void> {
  await redis.raw.pExpire(key, 10_000)
  await clock.advance(ms)
  await vi.waitFor(async () => expect(await redis.raw.pTTL(key)).toBeGreaterThan(10_000), {
    timeout: 5000,
    interval: 2,
  })
}

describe('RedisLock lease loss', () => {
  for (const [what, steal] of [
    ['deleted', () => redis.raw.del('lease:gone')],
    [
      'overwritten with another token',
      () =>
        redis.raw.set('lease:gone', 'another-holder', { expiration: { type: 'PX', value: 5000 } }),
    ],
  ] as const) {
    it(`aborts lease.signal with LOCK_LOST at the next renewal when the key is ${what}`, async () => {
      const clock = new ManualClock()
      const lock = new RedisLock({
        url: redis.server.url,
        leaseMs: LEASE_MS,
        prefix: 'lease:',
        clock,
      })
      try {
        const acquiredAt = clock.now()
        await lock.withLock('gone', async ({ signal }) => {
          // The first renewal (at a third of the lease) finds the key still ours.
          await advanceToRenewal(clock, 'lease:gone', LEASE_MS / 3)
          await clock.advance(LEASE_MS / 6)
          expect(signal.aborted).toBe(false)
          const abort = aborted(signal, clock)
          await steal()
          // The next renewal, at two thirds of the lease, finds it gone or another's.
          await clock.advance(LEASE_MS / 6)
          const { at, reason } = await abort
          expect(isOpenRpError(reason, 'LOCK_LOST')).toBe(true)
          expect((reason as Error).message).toMatch(/taken by another holder or removed/)
          expect(at - acquiredAt).toBe((LEASE_MS * 2) / 3)
        })
        // Release never deletes what is not ours.
        if (what !== 'deleted') expect(await redis.raw.get('lease:gone')).toBe('another-holder')
      } finally {
        await redis.raw.del('lease:gone')
        await lock.close()
      }
    })
  }

  it('never aborts a holder whose fn runs for several leases, renewing every third of one', async () => {
    const clock = new ManualClock()
    const lock = new RedisLock({
      url: redis.server.url,
      leaseMs: LEASE_MS,
      prefix: 'lease:',
      clock,
    })
    try {
      let seen: LockLease | undefined
      await lock.withLock('long', async (lease) => {
        seen = lease
        lease.signal.addEventListener('abort', () => expect.fail('the lease was reported lost'))
        // Three leases: nine renewals, each seen by Redis.
        for (let i = 0; i < 9; i++) await advanceToRenewal(clock, 'lease:long', LEASE_MS / 3)
      })
      expect(seen?.signal.aborted).toBe(false)
      expect(await redis.raw.exists('lease:long')).toBe(0)
    } finally {
      await lock.close()
    }
  })

  it('does not abort after fn settled, whatever happens to the key then', async () => {
    const clock = new ManualClock()
    const lock = new RedisLock({
      url: redis.server.url,
      leaseMs: LEASE_MS,
      prefix: 'lease:',
      clock,
    })
    try {
      const lease = await lock.withLock('done', async (l) => l)
      await redis.raw.set('lease:done', 'next-holder')
      // Past every renewal and the watchdog of the lease it held.
      await clock.advance(LEASE_MS * 2)
      expect(clock.pendingTimers).toBe(0)
      expect(lease.signal.aborted).toBe(false)
    } finally {
      await redis.raw.del('lease:done')
      await lock.close()
    }
  })

  it('aborts at the first renewal after Redis restarted without the key', async () => {
    const clock = new ManualClock()
    const lock = new RedisLock({
      url: redis.server.url,
      leaseMs: LEASE_MS,
      prefix: 'lease:',
      commandTimeoutMs: 200,
      maxReconnectDelayMs: 50,
      clock,
    })
    try {
      const acquiredAt = clock.now()
      await lock.withLock('restart', async ({ signal }) => {
        const abort = aborted(signal, clock)
        // A restart with an empty data set: what a failover to a replica that never saw the
        // key looks like to the holder.
        await redis.server.restart()
        // The renewal needs the lock's connection back (its reconnect runs on real time):
        // each third of the lease, one renewal, until one reaches Redis and finds no key.
        let outcome: { at: number; reason: unknown } | undefined
        abort.then((o) => (outcome = o))
        for (let i = 0; i < 2 && !outcome; i++) {
          await clock.advance(LEASE_MS / 3)
          await vi
            .waitFor(() => expect(outcome).toBeDefined(), { timeout: 400, interval: 5 })
            .catch(() => {})
        }
        const { at, reason } = await abort
        // A renewal told it, long before the watchdog (a whole lease) would have.
        expect(isOpenRpError(reason, 'LOCK_LOST')).toBe(true)
        expect((reason as Error).message).toMatch(/taken by another holder or removed/)
        expect(at - acquiredAt).toBeLessThan(LEASE_MS)
      })
    } finally {
      await lock.close()
    }
  })

  // Last in this file: it stops the shared redis-server (and starts it again).
  it('aborts one lease after the last renewal Redis confirmed when Redis goes away', async () => {
    const clock = new ManualClock()
    const lock = new RedisLock({
      url: redis.server.url,
      leaseMs: LEASE_MS,
      prefix: 'lease:',
      commandTimeoutMs: 100,
      clock,
    })
    try {
      const acquiredAt = clock.now()
      await lock.withLock('outage', async ({ signal }) => {
        await advanceToRenewal(clock, 'lease:outage', LEASE_MS / 3)
        await clock.advance(LEASE_MS / 6)
        expect(signal.aborted).toBe(false)
        const abort = aborted(signal, clock)
        await redis.server.stop(true)
        // Renewals at 2 / 3 and 3 / 3 of the lease fail; only the watchdog tells.
        await clock.advance(LEASE_MS)
        const { at, reason } = await abort
        // Not at the first failed renewal: when a whole lease has passed since the last
        // renewal Redis confirmed (sent at a third of the lease).
        expect(isOpenRpError(reason, 'LOCK_LOST')).toBe(true)
        expect(at - acquiredAt).toBe(LEASE_MS / 3 + LEASE_MS)
        expect((reason as Error).message).toMatch(/could not be renewed/)
      })
    } finally {
      await redis.server.restart()
      await lock.close()
    }
  })
})
