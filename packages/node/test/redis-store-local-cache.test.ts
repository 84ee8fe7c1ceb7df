import { ManualClock } from '@openrp/testkit'
import { createClient } from 'redis'
import { describe, expect, it } from 'vitest'
import { RedisLocalCache } from '../src/internal/redis-local-cache.ts'
import { RedisLock } from '../src/redis-lock.ts'
import { RedisStore } from '../src/redis-store.ts'
import { useRedis } from './helpers/redis.ts'
import { startTcpProxy } from './helpers/tcp-proxy.ts'

const redis = useRedis()

/** localCacheCheckMs of the RedisLocalCache unit tests: longer than any of them advances. */
const CHECK_MS = 2 ** 31 - 1

/** Commands of `name` that the server has run so far (INFO commandstats). */
async function commandCalls(name: string): Promise<number> {
  const info = await redis.raw.info('commandstats')
  const match = new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)
  return match ? Number(match[1]) : 0
}

/** Every command the server has run so far. */
async function allCalls(): Promise<number> {
  const info = await redis.raw.info('commandstats')
  let total = 0
  for (const match of info.matchAll(/calls=(\d+)/g)) total += Number(match[1])
  return total
}

/** Polls `read` until it gives `expected`; resolves with the ms it took. */
async function seenWithin(read: () => Promise<unknown>, expected: unknown, limitMs: number) {
  const started = Date.now()
  for (;;) {
    if (JSON.stringify(await read()) === JSON.stringify(expected)) return Date.now() - started
    if (Date.now() - started > limitMs) throw new Error(`not seen within ${limitMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('RedisStore local cache (server-assisted client-side caching)', () => {
  it('answers repeated reads of a valid value without a Redis command (≤ 0.01 per read)', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'lc-hot:' })
    try {
      await store.set('alice', { accessToken: 'at', expiresAt: 4_000_000_000 })
      const first = await store.get('alice')
      const before = await allCalls()
      for (let i = 0; i < 10_000; i++) expect(await store.get('alice')).toBe(first)
      // The INFO call that measures counts itself once.
      const commands = (await allCalls()) - before - 1
      expect(commands / 10_000).toBeLessThanOrEqual(0.01)
      expect(store.localCacheStats).toMatchObject({ hits: 10_000 })
      expect(Object.isFrozen(first)).toBe(true)
    } finally {
      await store.close()
    }
  })

  it('drops its copy the moment another member writes, deletes or the key expires', async () => {
    const a = new RedisStore({ url: redis.server.url, prefix: 'lc-fleet:' })
    const b = new RedisStore({ url: redis.server.url, prefix: 'lc-fleet:' })
    try {
      await b.set('s', { v: 1 })
      expect(await a.get('s')).toEqual({ v: 1 })
      expect(await a.get('s')).toEqual({ v: 1 })
      await b.set('s', { v: 2 }) // another member refreshed
      expect(await seenWithin(() => a.get('s'), { v: 2 }, 1000)).toBeLessThan(1000)
      await b.delete('s') // another member logged out
      expect(await seenWithin(() => a.get('s'), undefined, 1000)).toBeLessThan(1000)
      // A key that was absent is tracked too: its creation elsewhere is seen.
      await b.set('s', { v: 3 })
      expect(await seenWithin(() => a.get('s'), { v: 3 }, 1000)).toBeLessThan(1000)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it("drops its copy when Redis expires the key (Redis's own time)", async () => {
    // The members' clock stands still: only Redis's expiry (and its report) can drop the copy.
    const clock = new ManualClock()
    const a = new RedisStore({ url: redis.server.url, prefix: 'lc-px:', clock })
    const b = new RedisStore({ url: redis.server.url, prefix: 'lc-px:', clock })
    try {
      // 1 s: long enough that a loaded machine still reads the key before it expires.
      await b.set('short', { v: 1 }, { ttlSec: 1 })
      expect(await a.get('short')).toEqual({ v: 1 })
      expect(await seenWithin(() => a.get('short'), undefined, 5000)).toBeLessThan(5000)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('serves its copy only until the TTL Redis reported has passed on its clock', async () => {
    const clock = new ManualClock()
    const store = new RedisStore({ url: redis.server.url, prefix: 'lc-ttl:', clock })
    try {
      await store.set('k', { v: 1 }, { ttlSec: 60 })
      expect(await store.get('k')).toEqual({ v: 1 })
      const misses = store.localCacheStats!.misses
      await clock.advance(50_000)
      expect(await store.get('k')).toEqual({ v: 1 })
      expect(store.localCacheStats!.misses).toBe(misses)
      // Past the TTL on the clock: the copy is not trusted; Redis (real time) still has the key.
      await clock.advance(10_000)
      expect(await store.get('k')).toEqual({ v: 1 })
      expect(store.localCacheStats!.misses).toBe(misses + 1)
    } finally {
      await store.close()
    }
  })

  it('a write of its own replaces the copy at once', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'lc-own:' })
    try {
      await store.set('k', 1)
      expect(await store.get('k')).toBe(1)
      await store.set('k', 2)
      expect(await store.get('k')).toBe(2)
      await store.delete('k')
      expect(await store.get('k')).toBeUndefined()
    } finally {
      await store.close()
    }
  })

  it('off with localCache: false: every read is a command', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'lc-off:', localCache: false })
    try {
      await store.set('k', { v: 1 })
      const before = await commandCalls('get')
      for (let i = 0; i < 10; i++) await store.get('k')
      expect((await commandCalls('get')) - before).toBe(10)
      expect(store.localCacheStats).toBeUndefined()
    } finally {
      await store.close()
    }
  })

  it('keeps no copies with localCacheMaxEntries: 0, and refuses a bound that is no whole number', async () => {
    // 0 kept one copy; NaN bounded nothing (the cache grew with every key read).
    for (const localCacheMaxEntries of [Number.NaN, -1, 2.5]) {
      expect(() => new RedisStore({ url: redis.server.url, localCacheMaxEntries })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
    const store = new RedisStore({
      url: redis.server.url,
      prefix: 'lc-zero:',
      localCacheMaxEntries: 0,
    })
    try {
      await store.set('k', { v: 1 })
      await store.get('k')
      const before = await allCalls()
      for (let i = 0; i < 10; i++) await store.get('k')
      // The INFO call that measures counts itself once.
      expect((await allCalls()) - before - 1).toBe(10)
      expect(store.localCacheStats?.hits ?? 0).toBe(0)
    } finally {
      await store.close()
    }
  })

  it('hands out deeply frozen values without the cache too (localCache: false, a client without clientSideCache)', async () => {
    const own = createClient({ url: redis.server.url })
    own.on('error', () => {})
    const stores = [
      new RedisStore({ url: redis.server.url, prefix: 'lc-frozen:', localCache: false }),
      new RedisStore({ client: own, prefix: 'lc-frozen:' }),
    ]
    try {
      await stores[0]?.set('k', { tokens: { accessToken: 'at' }, scopes: ['a'] })
      for (const store of stores) {
        expect(store.localCacheStats).toBeUndefined()
        const value = (await store.get('k')) as { tokens: object; scopes: string[] }
        expect(value).toEqual({ tokens: { accessToken: 'at' }, scopes: ['a'] })
        for (const part of [value, value.tokens, value.scopes])
          expect(Object.isFrozen(part)).toBe(true)
      }
    } finally {
      for (const store of stores) await store.close()
      own.destroy()
    }
  })

  it('get(key, { fresh: true }) reads Redis past its copy, and keeps what it found', async () => {
    const client = createClient({
      url: redis.server.url,
      RESP: 3,
      clientSideCache: { maxEntries: 100 },
    })
    client.on('error', () => {})
    const store = new RedisStore({ client, prefix: 'lc-fresh:' })
    try {
      await store.set('s', { refreshToken: 'rt-1' })
      expect(await store.get('s')).toEqual({ refreshToken: 'rt-1' })
      // Another member's write whose invalidation has not been heard yet (it comes on this
      // store's connection, the lock's answer on another): the copy is stale for a moment.
      client.clientSideCache?.removeAllListeners('invalidate')
      await redis.raw.set('lc-fresh:s', JSON.stringify({ refreshToken: 'rt-2' }))
      expect(await store.get('s')).toEqual({ refreshToken: 'rt-1' })
      const before = await commandCalls('eval')
      expect(await store.get('s', { fresh: true })).toEqual({ refreshToken: 'rt-2' })
      expect((await commandCalls('eval')) - before).toBe(1)
      expect(await store.get('s')).toEqual({ refreshToken: 'rt-2' })
    } finally {
      client.destroy()
    }
  })

  it('localCache: true with a client of yours that hears no invalidations keeps no copies', async () => {
    // No clientSideCache (RESP 2): Redis would never say when another member changes a key.
    const client = createClient({ url: redis.server.url })
    client.on('error', () => {})
    const store = new RedisStore({ client, prefix: 'lc-own-client:', localCache: true })
    try {
      await store.set('s', { refreshToken: 'rt-1' })
      expect(await store.get('s')).toEqual({ refreshToken: 'rt-1' })
      // Another member rotates the refresh token.
      await redis.raw.set('lc-own-client:s', JSON.stringify({ refreshToken: 'rt-2' }))
      expect(await store.get('s')).toEqual({ refreshToken: 'rt-2' })
      expect(store.localCacheStats).toBeUndefined()
    } finally {
      client.destroy()
    }
  })
  it('close() of a store or lock on a client of yours takes back every listener it added', async () => {
    const client = createClient({
      url: redis.server.url,
      RESP: 3,
      clientSideCache: { maxEntries: 100 },
    })
    client.on('error', () => {})
    await client.connect()
    const warnings: string[] = []
    const onWarning = (warning: Error) => warnings.push(warning.name)
    process.on('warning', onWarning)
    const listeners = () =>
      client.eventNames().reduce((n, event) => n + client.listenerCount(event), 0) +
      (client.clientSideCache?.listenerCount('invalidate') ?? 0)
    try {
      const before = listeners()
      // A store per tenant over one shared client: every one closed kept its listeners (and
      // with them itself, its copies included) on the client for as long as the client lived.
      for (let i = 0; i < 12; i++) {
        const store = new RedisStore({ client, prefix: `lc-tenant-${i}:` })
        const lock = new RedisLock({ client, prefix: `lc-tenant-${i}:lock:` })
        await lock.withLock('k', () => store.set('k', i))
        expect(await store.get('k')).toBe(i)
        await store.close()
        await lock.close()
      }
      expect(listeners()).toBe(before)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings).not.toContain('MaxListenersExceededWarning')
      expect(client.isReady).toBe(true)
    } finally {
      process.off('warning', onWarning)
      client.destroy()
    }
  })

  it('is on with a client of yours that has clientSideCache (RESP 3), and hears its invalidations', async () => {
    const client = createClient({
      url: redis.server.url,
      RESP: 3,
      clientSideCache: { maxEntries: 100 },
    })
    client.on('error', () => {})
    const store = new RedisStore({ client, prefix: 'lc-own-tracking:' })
    try {
      await store.set('s', { refreshToken: 'rt-1' })
      expect(await store.get('s')).toEqual({ refreshToken: 'rt-1' })
      expect(await store.get('s')).toEqual({ refreshToken: 'rt-1' })
      expect(store.localCacheStats).toMatchObject({ hits: 1 })
      // Another member rotates the refresh token: Redis tells this client, the copy goes.
      await redis.raw.set('lc-own-tracking:s', JSON.stringify({ refreshToken: 'rt-2' }))
      expect(await seenWithin(() => store.get('s'), { refreshToken: 'rt-2' }, 5_000)).toBeLessThan(
        5_000,
      )
    } finally {
      client.destroy()
    }
  })
})

describe('RedisStore local cache when the connection is lost', () => {
  it('stops trusting its copies once the connection drops, and re-reads when Redis is back', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'lc-lost:' })
    try {
      await store.set('k', 'before')
      expect(await store.get('k')).toBe('before')
      await redis.server.stop(true)
      // Once the client has seen the connection go, reads go to Redis, and fail.
      const started = Date.now()
      let error: unknown
      while (Date.now() - started < 2000) {
        error = await store.get('k').then(
          () => undefined,
          (e: unknown) => e,
        )
        if (error) break
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      expect(error).toMatchObject({ code: 'STORE_ERROR' })
      // Redis restarts empty (no persistence) and someone writes meanwhile: never the old copy.
      await redis.server.restart()
      await redis.raw.ping().catch(() => {})
      await redis.raw.set('lc-lost:k', JSON.stringify('after'))
      expect(
        await seenWithin(() => store.get('k').catch(() => 'unreachable'), 'after', 10_000),
      ).toBeLessThan(10_000)
    } finally {
      await store.close()
    }
  })
})

describe('RedisStore local cache over a connection broken without a word (half-open)', () => {
  // The store's clock drives when a check is due; the check's deadline is commandTimeoutMs,
  // the connection's real-time timer (the store has no clock for it).
  it('serves no copy past localCacheCheckMs once the connection stops answering, and reconnects', async () => {
    const clock = new ManualClock()
    const proxy = await startTcpProxy(redis.server.port)
    const store = new RedisStore({
      url: proxy.url,
      prefix: 'lc-half:',
      clock,
      commandTimeoutMs: 300,
      localCacheCheckMs: 2000,
    })
    try {
      await store.set('s', { refreshToken: 'rt-1' })
      expect(await store.get('s')).toEqual({ refreshToken: 'rt-1' })
      // The path to Redis dies; neither end hears of it. Another member rotates the refresh
      // token, and the invalidation Redis sends this store is lost on the way.
      proxy.stall()
      await redis.raw.set('lc-half:s', JSON.stringify({ refreshToken: 'rt-2' }))
      // Within half the bound the copy is served as before, with no check (the hot path).
      await clock.advance(999)
      expect(await store.get('s')).toEqual({ refreshToken: 'rt-1' })
      const invalidations = store.localCacheStats!.invalidations
      // Past the bound the read waits for a check, which gets no answer: the copy is dropped,
      // the connection made anew, and the read goes to Redis. It served rt-1 until TCP noticed.
      await clock.advance(1001)
      expect(await store.get('s')).toEqual({ refreshToken: 'rt-2' })
      expect(store.localCacheStats!.invalidations).toBe(invalidations + 1)
      expect(proxy.connections).toBe(2)
      // The new connection hears the next change.
      await redis.raw.set('lc-half:s', JSON.stringify({ refreshToken: 'rt-3' }))
      expect(await seenWithin(() => store.get('s'), { refreshToken: 'rt-3' }, 2000)).toBeLessThan(
        2000,
      )
    } finally {
      await store.close()
      await proxy.close()
    }
  })

  it('from half of localCacheCheckMs, answers from its copy and checks meanwhile; after an idle spell, a read waits for one check', async () => {
    const clock = new ManualClock()
    const store = new RedisStore({
      url: redis.server.url,
      prefix: 'lc-check:',
      clock,
      localCacheCheckMs: 2000,
    })
    try {
      await store.set('k', { v: 1 })
      expect(await store.get('k')).toEqual({ v: 1 })
      const misses = store.localCacheStats!.misses
      const evals = await commandCalls('eval')
      await clock.advance(999)
      expect(await store.get('k')).toEqual({ v: 1 })
      expect(await commandCalls('eval')).toBe(evals) // nothing sent
      await clock.advance(501)
      expect(await store.get('k')).toEqual({ v: 1 }) // from the copy; a check goes out
      const deadline = Date.now() + 2000
      while ((await commandCalls('eval')) === evals && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5))
      expect(await commandCalls('eval')).toBe(evals + 1)
      // Idle far past the bound: the read waits for a check that succeeds, then is a hit.
      await clock.advance(60_000)
      expect(await store.get('k')).toEqual({ v: 1 })
      expect(await commandCalls('eval')).toBe(evals + 2)
      expect(store.localCacheStats!.misses).toBe(misses)
    } finally {
      await store.close()
    }
  })

  it('a check cut short by a connection the client is already making anew leaves no connection behind', async () => {
    const clock = new ManualClock()
    const proxy = await startTcpProxy(redis.server.port)
    const store = new RedisStore({
      url: proxy.url,
      prefix: 'lc-cut:',
      clock,
      commandTimeoutMs: 1000,
      localCacheCheckMs: 2000,
    })
    // The ids of the connections open now: ones an earlier test left closing may still be
    // there at the start and gone at the end, so the test looks only for new ones left behind.
    const clients = async () =>
      String(await redis.raw.sendCommand(['CLIENT', 'LIST']))
        .trim()
        .split('\n')
        .map((line) => /\bid=(\d+)/.exec(line)?.[1])
    const before = new Set(await clients())
    try {
      await store.set('k', { v: 1 })
      expect(await store.get('k')).toEqual({ v: 1 })
      // A check goes out and is held on the wire; then the connection closes (Redis restarted
      // behind a proxy, say), and node-redis at once connects again: the check fails.
      proxy.stall()
      await clock.advance(1000)
      expect(await store.get('k')).toEqual({ v: 1 })
      await new Promise((resolve) => setTimeout(resolve, 50))
      const { invalidations } = store.localCacheStats!
      proxy.drop()
      const dropped = async () => store.localCacheStats!.invalidations > invalidations
      expect(await seenWithin(dropped, true, 2000)).toBeLessThan(2000)
      // The store reads on over the connection made anew.
      const read = () => store.get('k').catch(() => undefined)
      expect(await seenWithin(read, { v: 1 }, 2000)).toBeLessThan(2000)
    } finally {
      await store.close()
    }
    // Every connection the store opened is closed with it.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await clients()).filter((id) => !before.has(id))).toEqual([])
    await proxy.close()
  })

  it('with a client of yours, a read fails with STORE_ERROR instead of serving the copy, and the client is left open', async () => {
    const proxy = await startTcpProxy(redis.server.port)
    const clock = new ManualClock()
    const client = createClient({ url: proxy.url, RESP: 3, clientSideCache: { maxEntries: 100 } })
    client.on('error', () => {})
    const store = new RedisStore({
      client,
      prefix: 'lc-half-own:',
      clock,
      commandTimeoutMs: 300,
      localCacheCheckMs: 2000,
    })
    try {
      await store.set('s', { refreshToken: 'rt-1' })
      expect(await store.get('s')).toEqual({ refreshToken: 'rt-1' })
      proxy.stall()
      await redis.raw.set('lc-half-own:s', JSON.stringify({ refreshToken: 'rt-2' }))
      await clock.advance(2000)
      await expect(store.get('s')).rejects.toMatchObject({ code: 'STORE_ERROR' })
      expect(client.isOpen).toBe(true)
    } finally {
      client.destroy()
      await proxy.close()
    }
  })

  it('refuses a localCacheCheckMs that is not more than 0 or that a clock cannot count', () => {
    for (const localCacheCheckMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(
        () => new RedisStore({ url: redis.server.url, localCacheCheckMs }),
        `localCacheCheckMs: ${localCacheCheckMs}`,
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    }
  })
})

describe('RedisLocalCache', () => {
  /** A read of `key` that came back with `value` (and `ttlMs`), confirming the copies. */
  const keepRead = (cache: RedisLocalCache, key: string, value: unknown, ttlMs?: number) => {
    const mark = cache.mark()
    const read = cache.begin(key)
    cache.keep(read, value, ttlMs)
    cache.end(read)
    cache.confirm(mark)
  }

  it('serves copies for checkMs after the connection last confirmed them, and asks for a check from half of it', async () => {
    const clock = new ManualClock()
    const cache = new RedisLocalCache(10, clock, 2000)
    expect(cache.checkDue()).toBe('no') // no copies, nothing to check
    keepRead(cache, 'k', 'v')
    await clock.advance(999)
    expect(cache.checkDue()).toBe('no')
    await clock.advance(1)
    expect(cache.checkDue()).toBe('soon')
    expect(cache.read('k')?.value).toBe('v')
    const check = cache.mark()
    await clock.advance(1000)
    expect(cache.checkDue()).toBe('now')
    expect(cache.read('k')).toBeUndefined()
    cache.confirm(check) // the check sent at 1000 was answered
    expect(cache.checkDue()).toBe('soon')
    expect(cache.read('k')?.value).toBe('v')
  })

  it('a check sent before the connection was lost confirms nothing', () => {
    const cache = new RedisLocalCache(10, new ManualClock(), CHECK_MS)
    keepRead(cache, 'k', 'v')
    const check = cache.mark()
    cache.distrust()
    const read = cache.begin('k')
    cache.keep(read, 'v2')
    cache.end(read)
    cache.confirm(check)
    expect(cache.read('k')).toBeUndefined()
    cache.confirm(cache.mark())
    expect(cache.read('k')?.value).toBe('v2')
  })

  it('does not keep what a read found when the key changed while the read was in flight', () => {
    const cache = new RedisLocalCache(10, new ManualClock(), CHECK_MS)
    const read = cache.begin('k')
    cache.forget('k') // an invalidation arrives before the reply is handled
    cache.keep(read, 'stale')
    cache.end(read)
    expect(cache.read('k')).toBeUndefined()
    keepRead(cache, 'k', 'fresh')
    expect(cache.read('k')?.value).toBe('fresh')
  })

  it('keeps a read that started after the change it missed', () => {
    const cache = new RedisLocalCache(10, new ManualClock(), CHECK_MS)
    const before = cache.begin('k')
    cache.forget('k')
    const after = cache.begin('k')
    cache.keep(after, 'new')
    cache.keep(before, 'old')
    cache.confirm(cache.mark())
    expect(cache.read('k')?.value).toBe('new')
  })

  it('does not keep a read sent before the connection was lost', () => {
    const cache = new RedisLocalCache(10, new ManualClock(), CHECK_MS)
    keepRead(cache, 'k', 'v')
    const read = cache.begin('other')
    cache.distrust()
    expect(cache.read('k')).toBeUndefined()
    cache.keep(read, 'stale')
    expect(cache.read('other')).toBeUndefined()
  })

  it('holds nothing for keys without a read in flight, however many were written', () => {
    const cache = new RedisLocalCache(10, new ManualClock(), CHECK_MS)
    for (let i = 0; i < 10_000; i++) cache.forget(`key-${i}`)
    const failed = cache.begin('k')
    const answered = cache.begin('k')
    expect(cache.pendingKeys).toBe(1)
    cache.end(failed) // the read failed (timeout, connection lost)
    cache.keep(answered, 'v')
    cache.end(answered)
    expect(cache.pendingKeys).toBe(0)
  })

  it('stops serving a copy once its TTL has passed on the clock', async () => {
    const clock = new ManualClock()
    const cache = new RedisLocalCache(10, clock, CHECK_MS)
    keepRead(cache, 'k', 'v', 1_000)
    keepRead(cache, 'forever', 'w')
    await clock.advance(999)
    expect(cache.read('k')?.value).toBe('v')
    await clock.advance(1)
    expect(cache.read('k')).toBeUndefined()
    await clock.advance(10 ** 9)
    expect(cache.read('forever')?.value).toBe('w')
  })

  it('holds at most maxEntries copies, dropping the least recently used', () => {
    const cache = new RedisLocalCache(2, new ManualClock(), CHECK_MS)
    for (const key of ['a', 'b', 'c']) keepRead(cache, key, key)
    expect(cache.read('a')).toBeUndefined()
    expect(cache.read('b')?.value).toBe('b') // b is now the most recently used
    keepRead(cache, 'd', 'd')
    expect(cache.read('c')).toBeUndefined()
    expect(cache.read('b')?.value).toBe('b')
    expect(cache.read('d')?.value).toBe('d')
  })

  it('a key kept again (a fresh read) replaces its own copy and evicts no other', () => {
    const cache = new RedisLocalCache(2, new ManualClock(), CHECK_MS)
    keepRead(cache, 'a', 'a')
    keepRead(cache, 'b', 'b')
    keepRead(cache, 'b', 'b2')
    expect(cache.read('a')?.value).toBe('a')
    expect(cache.read('b')?.value).toBe('b2')
  })
})

describe('RedisStore.compareAndSet', () => {
  it('writes only over the value it expects, atomically, with the TTL asked for', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'lc-cas:' })
    try {
      expect(await store.compareAndSet('k', undefined, { v: 1 })).toBe(true)
      expect(await store.compareAndSet('k', undefined, { v: 9 })).toBe(false)
      const current = await store.get('k')
      expect(await store.compareAndSet('k', { v: 0 }, { v: 9 })).toBe(false)
      expect(await store.compareAndSet('k', current, { v: 2 }, { ttlSec: 60 })).toBe(true)
      expect(await store.get('k')).toEqual({ v: 2 })
      const pttl = await redis.raw.pTTL('lc-cas:k')
      expect(pttl).toBeGreaterThan(50_000)
      // A stale writer (it read { v: 1 }) cannot overwrite the newer set.
      expect(await store.compareAndSet('k', current, { v: 3 })).toBe(false)
      expect(await store.get('k')).toEqual({ v: 2 })
    } finally {
      await store.close()
    }
  })
})
