import { freePort } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { RedisLock } from '../src/redis-lock.ts'
import { useRedis } from './helpers/redis.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const redis = useRedis()

describe('RedisLock', () => {
  it('excludes holders across separate connections', async () => {
    const locks = Array.from({ length: 4 }, () => new RedisLock({ url: redis.server.url }))
    try {
      let inside = 0
      let maxInside = 0
      let runs = 0
      await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          locks[i % locks.length]!.withLock(
            'excl',
            async () => {
              inside++
              runs++
              maxInside = Math.max(maxInside, inside)
              await sleep(5)
              inside--
            },
            { timeoutMs: 20_000 },
          ),
        ),
      )
      expect(runs).toBe(24)
      expect(maxInside).toBe(1)
      expect(await redis.raw.exists('openrp:lock:excl')).toBe(0)
    } finally {
      await Promise.all(locks.map((l) => l.close()))
    }
  })

  it('times out a waiter with LOCK_TIMEOUT without running fn', async () => {
    const a = new RedisLock({ url: redis.server.url })
    const b = new RedisLock({ url: redis.server.url })
    try {
      let release!: () => void
      const holding = a.withLock('busy', () => new Promise<void>((r) => (release = r)))
      await sleep(50)
      let ran = false
      const started = Date.now()
      await expect(
        b.withLock(
          'busy',
          async () => {
            ran = true
          },
          { timeoutMs: 300 },
        ),
      ).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' })
      expect(Date.now() - started).toBeGreaterThanOrEqual(290)
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
    const lock = new RedisLock({ url: redis.server.url, leaseMs: 300 })
    const other = new RedisLock({ url: redis.server.url })
    try {
      let otherGot = false
      await lock.withLock('long', async () => {
        const attempt = other
          .withLock(
            'long',
            async () => {
              otherGot = true
            },
            { timeoutMs: 700 },
          )
          .catch((e: unknown) => e)
        expect(await attempt).toMatchObject({ code: 'LOCK_TIMEOUT' })
      })
      expect(otherGot).toBe(false)
    } finally {
      await Promise.all([lock.close(), other.close()])
    }
  })

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
      await sleep(1000)
      expect(await redis.raw.get('orphan:k')).toBeNull()
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
