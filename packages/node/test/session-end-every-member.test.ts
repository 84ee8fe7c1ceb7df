/**
 * Issue 14: a session that ends in a fleet ends in every member. The member that gets
 * `invalid_grant` emits `expired` and leaves an end marker in the store; every other member
 * that had the session emits `expired` once when it reads the marker (it used to see only
 * LOGIN_REQUIRED). A store that loses the session without a marker (Redis restarted without
 * persistence) also ends it with `expired`. And where nothing can save the session (the lock
 * holder dies after the provider rotated the token), it ends the same way, in every member.
 */
import {
  type Client,
  discover,
  isOpenRpError,
  type TokenEventInfo,
  TokenManager,
  type TokenSet,
} from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { ManualClock, type RedisServer, startRedis, fixedKeyPairs } from '@openrp/testkit'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisLock } from '../src/redis-lock.ts'
import { expiredSession, type Member, member, SESSION_KEY } from './helpers/fleet.ts'

let server: ReferenceServer
let redis: RedisServer
const clock = new ManualClock(Date.now())
let client: Client

beforeAll(async () => {
  redis = await startRedis()
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs(), clock })
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

/** Three members that have all seen a valid session; their `expired` events, by source. */
async function fleetWithSession(prefix: string, members: Member[], set: TokenSet) {
  const managers = members.map(
    ({ store, lock }) => new TokenManager({ client, store, lock, key: SESSION_KEY, clock }),
  )
  const ended: TokenEventInfo['source'][][] = managers.map(() => [])
  managers.forEach((m, i) => {
    m.on('expired', (_error, info) => ended[i]!.push(info.source))
    m.on('error', () => {})
  })
  await managers[0]!.setTokenSet(set)
  for (const m of managers) await m.getTokenSet().then(() => m.getAccessToken().catch(() => {}))
  return { managers, ended, prefix }
}

describe('the end of a session in a fleet', () => {
  it('invalid_grant in one member: expired in every member, once, and no loop', async () => {
    const members = Array.from({ length: 3 }, () => member(redis.url, 'end'))
    try {
      const valid = await expiredSession(client, clock)
      // Valid for now: every member sees the session.
      const { managers, ended } = await fleetWithSession('end', members, {
        ...valid,
        expiresAt: Math.floor(clock.now() / 1000) + 3600,
      } as TokenSet)
      for (const m of managers) expect(m.phase).toBe('active')
      await client.revoke(valid.refreshToken!, 'refresh_token')
      await clock.advance(3_600_000)
      server.control.clearRequests()

      const first = await managers[0]!.getAccessToken().catch((e: unknown) => e)
      expect(isOpenRpError(first, 'SESSION_EXPIRED')).toBe(true)
      for (const m of managers.slice(1)) {
        await expect(m.getAccessToken()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' })
        await expect(m.getAccessToken()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' })
      }
      expect(ended).toEqual([['here'], ['elsewhere'], ['elsewhere']])
      expect(server.control.requests({ endpoint: 'token' })).toHaveLength(1)
    } finally {
      await Promise.all(members.map((m) => m.close()))
    }
  })

  it('the store lost the session (Redis flushed, no persistence): expired in every member', async () => {
    const members = Array.from({ length: 3 }, () => member(redis.url, 'flush'))
    const raw = createClient({ url: redis.url })
    await raw.connect()
    try {
      const set = await expiredSession(client, clock)
      const { managers, ended } = await fleetWithSession('flush', members, {
        ...set,
        expiresAt: Math.floor(clock.now() / 1000) + 3600,
      } as TokenSet)
      const before = members.map((m) => m.store.localCacheStats?.invalidations ?? 0)
      await raw.flushAll()
      // Redis tells every member of the flush (client-side caching): wait for the word to arrive.
      await Promise.all(
        members.map(async (m, i) => {
          const started = Date.now()
          while ((m.store.localCacheStats?.invalidations ?? 0) <= before[i]!) {
            if (Date.now() - started > 2000) throw new Error('no invalidation within 2 s')
            await new Promise((resolve) => setTimeout(resolve, 5))
          }
        }),
      )
      for (const m of managers) {
        await expect(m.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
        await expect(m.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
      }
      expect(ended).toEqual([['elsewhere'], ['elsewhere'], ['elsewhere']])
    } finally {
      raw.destroy()
      await Promise.all(members.map((m) => m.close()))
    }
  })

  it('a logout is no expiry: the other members see LOGIN_REQUIRED and no expired event', async () => {
    const members = Array.from({ length: 2 }, () => member(redis.url, 'logout'))
    try {
      const set = await expiredSession(client, clock)
      const { managers, ended } = await fleetWithSession('logout', members, {
        ...set,
        expiresAt: Math.floor(clock.now() / 1000) + 3600,
      } as TokenSet)
      await managers[0]!.clear()
      await expect(managers[1]!.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
      expect(ended).toEqual([[], []])
      expect(managers[1]!.phase).toBe('signedOut')
    } finally {
      await Promise.all(members.map((m) => m.close()))
    }
  })

  it('the lock holder dies after the provider rotated the token: the session ends in every member', async () => {
    const members = Array.from({ length: 3 }, () => member(redis.url, 'dies'))
    // The holder's lock has a short lease: when the holder dies, it lapses.
    const holderLock = new RedisLock({ url: redis.url, prefix: 'dies:lock:', leaseMs: 300 })
    try {
      const expired = await expiredSession(client, clock)
      let sent!: () => void
      const requestSent = new Promise<void>((resolve) => {
        sent = resolve
      })
      // The provider answers (and spends the refresh token), but the holder dies before it
      // can store the answer: its promise never settles and its lock connection goes away.
      const dying = {
        refresh: async (set: string | TokenSet) => {
          await client.refresh(set)
          sent()
          return new Promise<TokenSet>(() => {})
        },
      }
      const holder = new TokenManager({
        client: dying,
        store: members[0]!.store,
        lock: holderLock,
        key: SESSION_KEY,
        clock,
      })
      await holder.setTokenSet(expired)
      const managers = members
        .slice(1)
        .map(
          ({ store, lock }) => new TokenManager({ client, store, lock, key: SESSION_KEY, clock }),
        )
      const ended: string[] = []
      for (const m of managers) {
        m.on('expired', (_e, info) => ended.push(info.source))
        m.on('error', () => {})
        expect(await m.getTokenSet()).toBeDefined()
      }
      void holder.getAccessToken().catch(() => {})
      await requestSent
      await holderLock.close()

      // The next holder replays the spent token (no grace window): invalid_grant ends the
      // session, and the third member learns it from the marker.
      await expect(managers[0]!.getAccessToken()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' })
      await expect(managers[1]!.getAccessToken()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' })
      expect(ended).toEqual(['here', 'elsewhere'])
    } finally {
      await Promise.all(members.map((m) => m.close()))
    }
  })
})
