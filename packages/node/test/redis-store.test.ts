import { freePort } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { RedisStore } from '../src/redis-store.ts'
import { useRedis } from './helpers/redis.ts'

const redis = useRedis()

describe('RedisStore', () => {
  it('round-trips JSON under its prefix and deletes', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'test-a:' })
    try {
      await store.set('tokens', { accessToken: 'x', n: 1 })
      expect(await store.get('tokens')).toEqual({ accessToken: 'x', n: 1 })
      expect(await redis.raw.get('test-a:tokens')).toBe('{"accessToken":"x","n":1}')
      expect(await redis.raw.pTTL('test-a:tokens')).toBe(-1)
      await store.delete('tokens')
      expect(await store.get('tokens')).toBeUndefined()
      expect(await redis.raw.exists('test-a:tokens')).toBe(0)
    } finally {
      await store.close()
    }
  })

  it('turns ttlSec into a Redis expiry', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'test-b:' })
    try {
      await store.set('short', 'v', { ttlSec: 0.2 })
      const pttl = await redis.raw.pTTL('test-b:short')
      expect(pttl).toBeGreaterThan(0)
      expect(pttl).toBeLessThanOrEqual(200)
      await new Promise((r) => setTimeout(r, 300))
      expect(await store.get('short')).toBeUndefined()
      await expect(store.set('k', 1, { ttlSec: -1 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
    } finally {
      await store.close()
    }
  })

  it('gives STORE_ERROR for a value that is not JSON', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'test-c:' })
    try {
      await redis.raw.set('test-c:k', '{not json')
      await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE_ERROR' })
      expect(await redis.raw.get('test-c:k')).toBe('{not json')
    } finally {
      await store.close()
    }
  })

  it('fails fast with STORE_ERROR when no Redis listens', async () => {
    const port = await freePort()
    const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300 })
    try {
      const started = Date.now()
      await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE_ERROR' })
      await expect(store.set('k', 1)).rejects.toMatchObject({ code: 'STORE_ERROR' })
      expect(Date.now() - started).toBeLessThan(2000)
    } finally {
      await store.close()
    }
  })
})

describe('RedisStore when Redis is killed mid-run', () => {
  it('rejects with STORE_ERROR quickly, then recovers when Redis returns', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'test-kill:' })
    try {
      await store.set('k', 'before')
      expect(await store.get('k')).toBe('before')

      await redis.server.stop(true)
      const started = Date.now()
      const errors = await Promise.all(
        [store.get('k'), store.set('k', 'during'), store.delete('k')].map((p) =>
          p.then(
            () => undefined,
            (e: unknown) => e,
          ),
        ),
      )
      for (const error of errors) expect(error).toMatchObject({ code: 'STORE_ERROR' })
      expect(Date.now() - started).toBeLessThan(3000)

      await redis.server.restart()
      await redis.raw.ping().catch(() => {})
      const deadline = Date.now() + 10_000
      let recovered = false
      while (!recovered && Date.now() < deadline) {
        try {
          await store.set('k', 'after')
          recovered = true
        } catch (error) {
          expect(error).toMatchObject({ code: 'STORE_ERROR' })
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      expect(recovered).toBe(true)
      expect(await store.get('k')).toBe('after')
    } finally {
      await store.close()
    }
  }, 30_000)
})
