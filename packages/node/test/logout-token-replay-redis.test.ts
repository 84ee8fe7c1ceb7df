// Back-channel logout across a fleet: the reference server posts a real logout token, and two
// RP instances (each with its own Redis connections, as separate processes would have) share
// one replay store, so the same token is accepted once in the whole fleet.
import {
  DEFAULT_LOGOUT_TOKEN_MAX_AGE_SEC,
  discover,
  type Lock,
  type LockLease,
  type Store,
} from '@openrp/core'
import {
  CookieJar,
  completeLogin,
  DEMO_CLIENTS,
  type LogoutReceiver,
  type ReferenceServer,
  startLogoutReceiver,
  startReferenceServer,
} from '@openrp/reference-server'
import { type RedisServer, startRedis, fixedKeyPairs } from '@openrp/testkit'
import { createClient } from 'redis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RedisLock } from '../src/redis-lock.ts'
import { RedisStore } from '../src/redis-store.ts'

let receiver: LogoutReceiver
let server: ReferenceServer
let redis: RedisServer

beforeAll(async () => {
  redis = await startRedis()
  receiver = await startLogoutReceiver()
  const spa = DEMO_CLIENTS.find((c) => c.client_id === 'spa')!
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    clients: [{ ...spa, backchannel_logout_uri: receiver.url }],
  })
})
afterAll(async () => {
  await server?.close()
  await receiver?.close()
  await redis?.stop()
})

/** Logs a user in and out at the reference server: the logout token it posts, and the sid. */
async function freshLogoutToken() {
  const spa = DEMO_CLIENTS.find((c) => c.client_id === 'spa')!
  const client = await discover(server.issuer, {
    clientId: 'spa',
    redirectUri: spa.redirect_uris![0]!,
    scope: 'openid',
  })
  const jar = new CookieJar()
  const { url, transaction } = await client.createAuthorizationRequest()
  const done = await completeLogin(url, { cookieJar: jar })
  const tokens = await client.handleAuthorizationResponse(done.url, transaction)
  const before = receiver.tokens.length
  const res = await fetch(client.endSessionUrl({ idTokenHint: tokens }), {
    headers: { cookie: jar.header()! },
  })
  expect(res.status).toBe(200)
  expect(receiver.tokens).toHaveLength(before + 1)
  return { client, tokens, logoutToken: receiver.tokens[before]! }
}

it('accepts a logout token once across RP instances sharing RedisStore + RedisLock', async () => {
  const { client, tokens, logoutToken } = await freshLogoutToken()

  const instances = Array.from({ length: 2 }, () => ({
    store: new RedisStore({ url: redis.url, prefix: 'bcl:' }),
    lock: new RedisLock({ url: redis.url, prefix: 'bcl:lock:' }),
  }))
  try {
    const results = await Promise.allSettled(
      instances.flatMap(({ store, lock }) =>
        Array.from({ length: 3 }, () =>
          client.validateLogoutToken(logoutToken, { replayStore: store, replayLock: lock }),
        ),
      ),
    )
    const accepted = results.filter((r) => r.status === 'fulfilled')
    expect(accepted).toHaveLength(1)
    expect((accepted[0] as PromiseFulfilledResult<{ sid?: string }>).value.sid).toBe(
      tokens.claims()?.sid,
    )
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'LOGOUT_TOKEN_REPLAYED' })
    // The jti is kept with a TTL, so Redis forgets it once the token is too old anyway.
    const raw = createClient({ url: redis.url })
    await raw.connect()
    try {
      const keys = await raw.keys('bcl:openrp:logout-jti:*')
      expect(keys).toHaveLength(1)
      const ttl = await raw.ttl(keys[0]!)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(DEFAULT_LOGOUT_TOKEN_MAX_AGE_SEC + 60)
    } finally {
      raw.destroy()
    }
  } finally {
    await Promise.all(instances.flatMap(({ store, lock }) => [store.close(), lock.close()]))
  }
})

it('refuses a logout token with LOCK_LOST when the replay lock loses its lease before the jti is written; the retry is accepted once', async () => {
  const { client, logoutToken } = await freshLogoutToken()
  const store = new RedisStore({ url: redis.url, prefix: 'bcl-lost:' })
  const lock = new RedisLock({ url: redis.url, prefix: 'bcl-lost:lock:', leaseMs: 900 })
  const raw = createClient({ url: redis.url })
  await raw.connect()
  let lease: LockLease | undefined
  // Records the lease RedisLock hands the section, so the store can wait for its loss.
  const observed: Lock = {
    withLock: (name, fn, options) =>
      lock.withLock(
        name,
        (held) => {
          lease = held
          return fn(held)
        },
        options,
      ),
  }
  let stealOnRead = true
  // The replay check reads the store under the lock; the first read takes the lock's key away
  // (as a Redis restart would) and returns only once the holder has noticed.
  const slowStore: Store = {
    get: async (key) => {
      if (stealOnRead) {
        stealOnRead = false
        const lockKeys = await raw.keys('bcl-lost:lock:*')
        expect(lockKeys).toHaveLength(1)
        await raw.del(lockKeys)
        // A renewal may have noticed already (a busy machine runs it before this line).
        const signal = lease!.signal
        if (!signal.aborted)
          await new Promise((resolve) => signal.addEventListener('abort', resolve))
      }
      return store.get(key)
    },
    set: (key, value, options) => store.set(key, value, options),
    delete: (key) => store.delete(key),
  }
  try {
    const lost = await client
      .validateLogoutToken(logoutToken, { replayStore: slowStore, replayLock: observed })
      .catch((e: unknown) => e)
    expect(lost).toMatchObject({ code: 'LOCK_LOST' })
    expect(await raw.keys('bcl-lost:openrp:logout-jti:*')).toEqual([])
    // The provider delivers again: accepted once, then a replay.
    await expect(
      client.validateLogoutToken(logoutToken, { replayStore: slowStore, replayLock: observed }),
    ).resolves.toBeDefined()
    await expect(
      client.validateLogoutToken(logoutToken, { replayStore: slowStore, replayLock: observed }),
    ).rejects.toMatchObject({ code: 'LOGOUT_TOKEN_REPLAYED' })
  } finally {
    raw.destroy()
    await Promise.all([store.close(), lock.close()])
  }
})
