// Back-channel logout across a fleet: the reference server posts a real logout token, and two
// RP instances (each with its own Redis connections, as separate processes would have) share
// one replay store, so the same token is accepted once in the whole fleet.
import { DEFAULT_LOGOUT_TOKEN_MAX_AGE_SEC, discover } from '@openrp/core'
import {
  CookieJar,
  completeLogin,
  DEMO_CLIENTS,
  type LogoutReceiver,
  type ReferenceServer,
  startLogoutReceiver,
  startReferenceServer,
} from '@openrp/reference-server'
import { type RedisServer, startRedis } from '@openrp/testkit'
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
    clients: [{ ...spa, backchannel_logout_uri: receiver.url }],
  })
})
afterAll(async () => {
  await server?.close()
  await receiver?.close()
  await redis?.stop()
})

it('accepts a logout token once across RP instances sharing RedisStore + RedisLock', async () => {
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
  const res = await fetch(client.endSessionUrl({ idTokenHint: tokens }), {
    headers: { cookie: jar.header()! },
  })
  expect(res.status).toBe(200)
  expect(receiver.tokens).toHaveLength(1)

  const instances = Array.from({ length: 2 }, () => ({
    store: new RedisStore({ url: redis.url, prefix: 'bcl:' }),
    lock: new RedisLock({ url: redis.url, prefix: 'bcl:lock:' }),
  }))
  try {
    const results = await Promise.allSettled(
      instances.flatMap(({ store, lock }) =>
        Array.from({ length: 3 }, () =>
          client.validateLogoutToken(receiver.tokens[0], { replayStore: store, replayLock: lock }),
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
