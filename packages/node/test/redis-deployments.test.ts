import {
  ManualClock,
  type RedisCluster,
  type RedisSentinelSetup,
  startRedisCluster,
  startRedisSentinel,
} from '@openrp/testkit'
import { createClient, createCluster, createSentinel } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisLock } from '../src/redis-lock.ts'
import { RedisStore } from '../src/redis-store.ts'

/** Retries `fn` until it succeeds (a failover in progress), for at most `limitMs`. */
async function eventually<T>(fn: () => Promise<T>, limitMs = 15_000): Promise<T> {
  const started = Date.now()
  for (;;) {
    try {
      return await fn()
    } catch (error) {
      if (Date.now() - started > limitMs) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

let cluster: RedisCluster
let sentinel: RedisSentinelSetup
// Both deployments start together.
beforeAll(async () => {
  const [c, s] = await Promise.allSettled([startRedisCluster(), startRedisSentinel()])
  if (c.status === 'fulfilled') cluster = c.value
  if (s.status === 'fulfilled') sentinel = s.value
  if (c.status === 'rejected') throw c.reason
  if (s.status === 'rejected') throw s.reason
}, 60_000)
afterAll(() => Promise.all([cluster?.stop(), sentinel?.stop()]))

describe('RedisStore and RedisLock on a Redis Cluster (3 primaries, a replica each)', () => {
  const rootNodes = () => cluster.nodes.slice(0, 1).map((n) => n.url)

  it('keeps keys in every slot, shares them between members, and locks', async () => {
    const a = new RedisStore({ cluster: { rootNodes: rootNodes() }, prefix: 'c:' })
    const b = new RedisStore({ cluster: { rootNodes: rootNodes() }, prefix: 'c:' })
    const lock = new RedisLock({ cluster: { rootNodes: rootNodes() }, prefix: 'c:lock:' })
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `session-${i}`)
      for (const key of keys) await a.set(key, { key })
      // The keys landed on all three primaries.
      const owners = new Set(
        await Promise.all(keys.map(async (k) => (await cluster.primaryFor(`c:${k}`)).port)),
      )
      expect(owners.size).toBe(3)
      for (const key of keys) expect(await b.get(key)).toEqual({ key })
      // b's copies follow a's writes (client-side caching works per node).
      await a.set('session-0', { key: 'changed' })
      await eventually(
        async () => expect(await b.get('session-0')).toEqual({ key: 'changed' }),
        1000,
      )
      // compareAndSet holds on a cluster (one key, one slot).
      const current = await b.get('session-1')
      expect(await b.compareAndSet('session-1', current, { v: 2 })).toBe(true)
      expect(await a.compareAndSet('session-1', current, { v: 3 })).toBe(false)
      // The lock excludes across members.
      const order: string[] = []
      await Promise.all(
        ['x', 'y'].map((who) =>
          lock.withLock('refresh:alice', async () => {
            order.push(`${who}-in`)
            await new Promise((resolve) => setTimeout(resolve, 50))
            order.push(`${who}-out`)
          }),
        ),
      )
      expect(order[0]?.endsWith('-in') && order[1]?.endsWith('-out')).toBe(true)
      expect(order[1]?.slice(0, 1)).toBe(order[0]?.slice(0, 1))
    } finally {
      await Promise.all([a.close(), b.close(), lock.close()])
    }
  })

  it('checks the connection to every primary before serving copies past localCacheCheckMs', async () => {
    const clock = new ManualClock()
    const store = new RedisStore({ cluster: { rootNodes: rootNodes() }, prefix: 'c-check:', clock })
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `session-${i}`)
      for (const key of keys) await store.set(key, { key })
      for (const key of keys) expect(await store.get(key)).toEqual({ key })
      // A reply from one node vouches for that node's connection only: the copies read from
      // all three are served once a check has reached every primary.
      const { hits, misses } = store.localCacheStats!
      await clock.advance(60_000)
      for (const key of keys) expect(await store.get(key)).toEqual({ key })
      expect(store.localCacheStats).toMatchObject({ hits: hits + keys.length, misses })
    } finally {
      await store.close()
    }
  })

  it('takes a node-redis cluster client of yours', async () => {
    const own = createCluster({ rootNodes: [{ url: rootNodes()[0] }] })
    own.on('error', () => {})
    const store = new RedisStore({ client: own, prefix: 'c-own:' })
    try {
      await store.set('k', { n: 1 })
      expect(await store.get('k')).toEqual({ n: 1 })
    } finally {
      await store.close()
      await own.close()
    }
  })

  // Connections each node has open (CLIENT LIST, the asking connection included).
  const connections = () =>
    Promise.all(
      cluster.nodes.map(async ({ url }) => {
        const plain = createClient({ url })
        plain.on('error', () => {})
        await plain.connect()
        try {
          return String(await plain.sendCommand(['CLIENT', 'LIST']))
            .trim()
            .split('\n').length
        } finally {
          plain.destroy()
        }
      }),
    )

  it('close() while the cluster client discovers the slots leaves no node connection open', async () => {
    const before = await connections()
    for (const Kind of [RedisStore, RedisLock] as const) {
      const user = new Kind({ cluster: { rootNodes: rootNodes() } })
      const first =
        user instanceof RedisStore ? user.get('k') : user.withLock('k', async () => undefined)
      const settled = first.then(
        () => 'done',
        (error: { code?: string }) => error.code,
      )
      await user.close()
      expect(['done', 'STORE_ERROR']).toContain(await settled)
      // The cluster's close() came while it discovered the slots, before it had any node
      // connection: the ones it opened next (one per primary) stayed open for good.
      const deadline = Date.now() + 2000
      let now = await connections()
      while (now.some((n, i) => n > (before[i] ?? 0)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        now = await connections()
      }
      expect(now).toEqual(before)
    }
  })

  // Real time: CLIENT PAUSE is Redis's, the connect timeout the connection's.
  it('a call after a slow discovery timed out waits for it, and no node connection is left behind', async () => {
    const before = await connections()
    const root = cluster.nodes[0]
    if (!root) throw new Error('no node')
    const paused = createClient({ url: root.url })
    paused.on('error', () => {})
    await paused.connect()
    // The root node holds every command for 1.5 s: the discovery outlives connectTimeoutMs.
    await paused.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL'])
    paused.destroy()
    const store = new RedisStore({
      cluster: { rootNodes: [root.url] },
      connectTimeoutMs: 300,
      prefix: 'slow-discovery:',
    })
    try {
      await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE_ERROR' })
      // The cluster client was open (its connect() under way) but knew no slot yet: the next
      // call took it for connected and failed on a TypeError, which replaced the client and
      // left the first one's discovery to open a connection to every primary, for good.
      const second = await store.get('k').then(
        () => undefined,
        (error: Error) => error,
      )
      if (second) expect(second.cause).not.toBeInstanceOf(TypeError)
      await eventually(() => store.set('k', 1))
      expect(await store.get('k')).toBe(1)
    } finally {
      await store.close()
    }
    const deadline = Date.now() + 2000
    let now = await connections()
    while (now.some((n, i) => n > (before[i] ?? 0)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      now = await connections()
    }
    expect(now).toEqual(before)
  }, 20_000)

  it('survives the failover of a killed primary to its replica', async () => {
    const store = new RedisStore({
      cluster: { rootNodes: cluster.nodes.map((n) => n.url) },
      prefix: 'f:',
    })
    const lock = new RedisLock({
      cluster: { rootNodes: cluster.nodes.map((n) => n.url) },
      prefix: 'f:lock:',
    })
    try {
      await store.set('alice', { rt: 'rt-1' })
      // Wait for the replica to have it (asynchronous replication).
      await cluster.replicated()
      expect(await store.get('alice')).toEqual({ rt: 'rt-1' })
      await cluster.killPrimaryFor('f:alice')
      // The copy is not trusted after the connection loss; the promoted replica answers.
      const value = await eventually(() => store.get('alice'))
      expect(value).toEqual({ rt: 'rt-1' })
      await eventually(() => store.set('alice', { rt: 'rt-2' }))
      expect(await store.get('alice')).toEqual({ rt: 'rt-2' })
      expect(await eventually(() => lock.withLock('alice', async () => 'held'))).toBe('held')
    } finally {
      await Promise.all([store.close(), lock.close()])
    }
  }, 60_000)
})

describe('RedisStore and RedisLock behind Sentinel (primary, replica, 3 sentinels)', () => {
  const options = () => ({
    name: sentinel.masterName,
    sentinels: sentinel.sentinels.map((n) => n.url),
  })

  it('works through the sentinels, and a client of yours too', async () => {
    // A first connection asks a sentinel for the primary, then connects to it: on a loaded
    // 2-core machine that can take longer than the 2 s default meant to fail fast.
    const connectTimeoutMs = 10_000
    const store = new RedisStore({ sentinel: options(), prefix: 's:', connectTimeoutMs })
    const lock = new RedisLock({ sentinel: options(), prefix: 's:lock:', connectTimeoutMs })
    const own = createSentinel({
      name: sentinel.masterName,
      sentinelRootNodes: sentinel.sentinels.map((n) => ({ host: n.host, port: n.port })),
    })
    own.on('error', () => {})
    const mine = new RedisStore({ client: own, prefix: 's:' })
    try {
      await store.set('k', { n: 1 })
      expect(await mine.get('k')).toEqual({ n: 1 })
      expect(await lock.withLock('k', async () => store.get('k'))).toEqual({ n: 1 })
    } finally {
      await Promise.all([store.close(), lock.close(), mine.close()])
      await own.close()
    }
  })

  it('follows a failover to the promoted replica', async () => {
    const store = new RedisStore({ sentinel: options(), prefix: 'sf:' })
    const lock = new RedisLock({ sentinel: options(), prefix: 'sf:lock:' })
    try {
      await store.set('alice', { rt: 'rt-1' })
      await sentinel.replicated()
      expect(await store.get('alice')).toEqual({ rt: 'rt-1' })
      await sentinel.killPrimary()
      expect(await eventually(() => store.get('alice'), 20_000)).toEqual({ rt: 'rt-1' })
      await eventually(() => store.set('alice', { rt: 'rt-2' }))
      expect(await store.get('alice')).toEqual({ rt: 'rt-2' })
      expect(await eventually(() => lock.withLock('alice', async () => 'held'))).toBe('held')
    } finally {
      await Promise.all([store.close(), lock.close()])
    }
  }, 60_000)
})
