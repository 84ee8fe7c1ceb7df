/**
 * Issue 14: in a fleet, the store refuses the write of a rotated set (Redis out of memory, a
 * blip). The lock holder keeps the only valid refresh token: it retries the write while it
 * holds the lock (renewed), and the other members wait for it instead of replaying the spent
 * refresh token. One refresh, no session lost.
 */
import { type Client, discover, TokenManager, TokenSet } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { ManualClock, type RedisServer, startRedis, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  advanceUntil,
  expiredSession,
  type Member,
  member,
  SESSION_KEY,
  WriteFailingStore,
} from './helpers/fleet.ts'

let server: ReferenceServer
let redis: RedisServer
const clock = new ManualClock(Date.now())
let client: Client

beforeAll(async () => {
  redis = await startRedis()
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  client = await discover(server.issuer, {
    clock,
    clientId: 'web',
    clientSecret: 'web-secret',
    redirectUri: 'http://127.0.0.1:4002/callback',
    scope: 'openid offline_access api:read',
  })
})
afterAll(async () => {
  await server?.close()
  await redis?.stop()
})

describe('a fleet whose store refuses the write of the rotated set', () => {
  it('the holder retries under the lock; the others wait; one refresh, no replay', async () => {
    const members: Member[] = Array.from({ length: 3 }, () => member(redis.url, 'wf'))
    try {
      const failing = new WriteFailingStore(members[0]!.store, SESSION_KEY)
      const holder = new TokenManager({
        client,
        store: failing,
        lock: members[0]!.lock,
        key: SESSION_KEY,
        clock,
      })
      const others = members
        .slice(1)
        .map(
          ({ store, lock }) => new TokenManager({ client, store, lock, key: SESSION_KEY, clock }),
        )
      const errors: unknown[] = []
      holder.on('error', (error) => errors.push(error))
      await holder.setTokenSet(await expiredSession(client, clock))
      server.control.clearRequests()

      failing.failWrites = 3
      const first = await holder.getAccessToken()
      // The holder has the new token; the store does not yet. The others queue on the lock.
      const waiting = others.map((m) => m.getAccessToken())
      let settled = 0
      for (const w of waiting)
        void w.then(
          () => settled++,
          () => settled++,
        )
      await advanceUntil(clock, () => settled === waiting.length)

      expect(await Promise.all(waiting)).toEqual([first, first])
      const refreshes = server.control.requests({ endpoint: 'token', grantType: 'refresh_token' })
      expect(refreshes.map((r) => r.status)).toEqual([200])
      expect(errors.filter((e) => (e as { code?: string }).code === 'STORE_ERROR')).toHaveLength(3)
      const stored = TokenSet.fromJSON(await members[2]!.store.get(SESSION_KEY))
      expect(stored.accessToken).toBe(first)
      // The rotated refresh token is live: the session goes on.
      await others[1]!.refresh()
      expect(
        server.control
          .requests({ endpoint: 'token', grantType: 'refresh_token' })
          .map((r) => r.status),
      ).toEqual([200, 200])
    } finally {
      await Promise.all(members.map((m) => m.close()))
    }
  })
})
