import { freePort, type RedisServer, startRedis } from '@openrp/testkit'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisStore } from '../src/redis-store.ts'

let redis: RedisServer
let raw: ReturnType<typeof createClient>
beforeAll(async () => {
  redis = await startRedis()
  raw = createClient({ url: redis.url })
  raw.on('error', () => {})
  await raw.connect()
})
afterAll(async () => {
  raw?.destroy()
  await redis?.stop()
})

describe('RedisStore', () => {
  it('round-trips JSON under its prefix and deletes', async () => {
    const store = new RedisStore({ url: redis.url, prefix: 'test-a:' })
    try {
      await store.set('tokens', { accessToken: 'x', n: 1 })
      expect(await store.get('tokens')).toEqual({ accessToken: 'x', n: 1 })
      expect(await raw.get('test-a:tokens')).toBe('{"accessToken":"x","n":1}')
      expect(await raw.pTTL('test-a:tokens')).toBe(-1)
      await store.delete('tokens')
      expect(await store.get('tokens')).toBeUndefined()
      expect(await raw.exists('test-a:tokens')).toBe(0)
    } finally {
      await store.close()
    }
  })

  it('turns ttlSec into a Redis expiry', async () => {
    const store = new RedisStore({ url: redis.url, prefix: 'test-b:' })
    try {
      await store.set('short', 'v', { ttlSec: 0.2 })
      const pttl = await raw.pTTL('test-b:short')
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
    const store = new RedisStore({ url: redis.url, prefix: 'test-c:' })
    try {
      await raw.set('test-c:k', '{not json')
      await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE_ERROR' })
      expect(await raw.get('test-c:k')).toBe('{not json')
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
    const store = new RedisStore({ url: redis.url, prefix: 'test-kill:' })
    try {
      await store.set('k', 'before')
      expect(await store.get('k')).toBe('before')

      await redis.stop(true)
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

      await redis.restart()
      await raw.ping().catch(() => {})
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
