import { freePort, type RedisServer, startRedis } from '@openrp/testkit'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisLock } from '../src/redis-lock.ts'
import { RedisStore } from '../src/redis-store.ts'
import { useRedis } from './helpers/redis.ts'

const redis = useRedis()

describe('RedisStore', () => {
  it('runs on a node-redis client the caller created (the structural RedisClient type), and leaves it open', async () => {
    const own = createClient({ url: redis.server.url })
    own.on('error', () => {})
    const store = new RedisStore({ client: own, prefix: 'test-own:' })
    const lock = new RedisLock({ client: own, prefix: 'test-own:lock:' })
    try {
      await lock.withLock('k', () => store.set('k', { n: 1 }))
      expect(await store.get('k')).toEqual({ n: 1 })
      expect(await redis.raw.get('test-own:k')).toBe('{"n":1}')
      expect(await redis.raw.exists('test-own:lock:k')).toBe(0)
      await store.close()
      await lock.close()
      expect(own.isReady).toBe(true)
    } finally {
      own.destroy()
    }
  })

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
      // The PTTL Redis holds, on a key that outlives any stall of a loaded machine...
      await store.set('long', 'v', { ttlSec: 60 })
      const pttl = await redis.raw.pTTL('test-b:long')
      expect(pttl).toBeGreaterThan(0)
      expect(pttl).toBeLessThanOrEqual(60_000)
      // ...and a short one that goes.
      await store.set('short', 'v', { ttlSec: 0.02 })
      // Redis's own time: wait for the key to go (its expiry is the subject, not our clock).
      const started = Date.now()
      while ((await redis.raw.exists('test-b:short')) === 1) {
        if (Date.now() - started > 5000) throw new Error('the key outlived its PX expiry')
        await new Promise((r) => setTimeout(r, 5))
      }
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

  // Real time: the command timeout is the Redis connection's, and CLIENT PAUSE is Redis's.
  it('close() does not wait for the reply to a command Redis holds (a stalled Redis)', async () => {
    const store = new RedisStore({ url: redis.server.url, commandTimeoutMs: 200, prefix: 'stall:' })
    try {
      await store.set('warm-up', 1)
      // Redis holds writes for 5 s: the SET times out for its caller, its reply still awaited.
      await redis.raw.sendCommand(['CLIENT', 'PAUSE', '5000', 'WRITE'])
      await expect(store.set('k', 1)).rejects.toMatchObject({
        code: 'STORE_ERROR',
        cause: { code: 'TIMEOUT' },
      })
      // node-redis's close() waits for every reply: it resolved only once Redis answered.
      const started = Date.now()
      await store.close()
      expect(Date.now() - started).toBeLessThan(2000)
    } finally {
      await redis.raw.sendCommand(['CLIENT', 'UNPAUSE'])
      await store.close()
    }
  })

  it('close() while the first connection is being made leaves no connection open', async () => {
    const connections = async () =>
      String(await redis.raw.sendCommand(['CLIENT', 'LIST']))
        .trim()
        .split('\n').length
    const before = await connections()
    for (const Kind of [RedisStore, RedisLock] as const) {
      const user = new Kind({ url: redis.server.url })
      // The first command starts the connection; close() comes while its socket connects.
      const first =
        user instanceof RedisStore ? user.get('k') : user.withLock('k', async () => undefined)
      const settled = first.then(
        () => 'done',
        (error: { code?: string }) => error.code,
      )
      await user.close()
      expect(['done', 'STORE_ERROR']).toContain(await settled)
      // node-redis's close() dropped no socket while it was connecting: that connection opened
      // after it and stayed open for good, keeping the process alive.
      const deadline = Date.now() + 2000
      while ((await connections()) > before && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(await connections()).toBe(before)
    }
  })

  it('refuses a commandTimeoutMs, connectTimeoutMs or maxReconnectDelayMs a timer cannot take, or a maxReconnectDelayMs under 25 ms, with INVALID_ARGUMENT', () => {
    // Past 2^31 - 1 ms (Infinity included) a timer fires after 1 ms: every command failed with
    // STORE_ERROR at once. A NaN or negative maxReconnectDelayMs reconnected every ms or so
    // during an outage (hundreds of connections a second to a Redis coming back).
    const wrong = [Number.NaN, -1, 2 ** 31, Number.POSITIVE_INFINITY]
    for (const Kind of [RedisStore, RedisLock] as const) {
      for (const value of wrong) {
        for (const name of ['commandTimeoutMs', 'connectTimeoutMs', 'maxReconnectDelayMs']) {
          expect(
            () => new Kind({ url: redis.server.url, [name]: value }),
            `${name}: ${value}`,
          ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
        }
      }
      // What a timer takes is still taken.
      for (const name of ['commandTimeoutMs', 'connectTimeoutMs', 'maxReconnectDelayMs']) {
        expect(() => new Kind({ url: redis.server.url, [name]: 2 ** 31 - 1 })).not.toThrow()
      }
      // A cap below the backoff's first pause (25 ms) only shortens every pause: 0 (or 1, a
      // timer of 0 waits 1 ms) reconnected hundreds of times a second while Redis refused.
      for (const maxReconnectDelayMs of [0, 1, 24.9]) {
        expect(
          () => new Kind({ url: redis.server.url, maxReconnectDelayMs }),
          `maxReconnectDelayMs: ${maxReconnectDelayMs}`,
        ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
      }
      expect(() => new Kind({ url: redis.server.url, maxReconnectDelayMs: 25 })).not.toThrow()
    }
  })

  it('fails fast with STORE_ERROR when no Redis listens', async () => {
    const port = await freePort()
    const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300 })
    try {
      const started = Date.now()
      await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE_ERROR' })
      await expect(store.set('k', 1)).rejects.toMatchObject({ code: 'STORE_ERROR' })
      // Refused connections fail at once; the bound only catches a wait for Redis to appear
      // (queued commands), with room for a machine busy with every test file at once.
      expect(Date.now() - started).toBeLessThan(5000)
    } finally {
      await store.close()
    }
  })
})

describe('RedisStore connection errors', () => {
  let secured: RedisServer
  beforeAll(async () => {
    // A real redis-server that requires a password (set at run time: startRedis takes no args).
    secured = await startRedis()
    const admin = createClient({ url: secured.url })
    admin.on('error', () => {})
    await admin.connect()
    await admin.configSet('requirepass', 'right-password')
    admin.destroy()
  })
  afterAll(() => secured?.stop())

  it('gives the reason Redis refused the connection as the cause (WRONGPASS, NOAUTH), at once', async () => {
    // A refusal fails the call as soon as Redis says it, not when connectTimeoutMs runs out.
    const wrong = new RedisStore({
      url: secured.url.replace('redis://', 'redis://default:wrong-password@'),
      connectTimeoutMs: 60_000,
    })
    const none = new RedisStore({ url: secured.url, connectTimeoutMs: 60_000 })
    try {
      for (let i = 0; i < 2; i++) {
        const error = await wrong.get('k').catch((e: unknown) => e)
        expect(error).toMatchObject({ code: 'STORE_ERROR' })
        expect(String((error as { cause?: Error }).cause?.message)).toContain('WRONGPASS')
        expect((error as Error).message).not.toContain('wrong-password')
      }
      const error = await none.get('k').catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'STORE_ERROR' })
      expect(String((error as { cause?: Error }).cause?.message)).toContain('NOAUTH')
    } finally {
      await Promise.all([wrong.close(), none.close()])
    }
  })

  it('20 concurrent first calls share one wait for the connection (no listener warning)', async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error) => warnings.push(warning.name)
    process.on('warning', onWarning)
    const store = new RedisStore({
      url: secured.url.replace('redis://', 'redis://default:right-password@'),
    })
    try {
      const values = await Promise.all(Array.from({ length: 20 }, (_, i) => store.get(`k${i}`)))
      expect(values).toEqual(Array(20).fill(undefined))
      await new Promise((r) => setImmediate(r))
      expect(warnings).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
      await store.close()
    }
  })
})

describe('RedisStore when Redis is killed mid-run', () => {
  it('rejects with STORE_ERROR quickly, then recovers when Redis returns', async () => {
    // Without the local cache every call is a command; the cached case is in
    // redis-store-local-cache.test.ts.
    const store = new RedisStore({ url: redis.server.url, prefix: 'test-kill:', localCache: false })
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
