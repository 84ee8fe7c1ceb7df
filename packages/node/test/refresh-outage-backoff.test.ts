/**
 * Issue 14: the provider is down (503 for 6 s, or 429 with `Retry-After: 30`) while a fleet of
 * six needs a refresh. Each failure is remembered, with backoff and jitter, and shared through
 * the store: the fleet sends at most 2 requests a second during the 503 outage (it sent 121),
 * at most one per member during the 429 (it sent 117 a second), and recovers once it ends.
 */
import { type Client, discover, isOpenRpError, TokenManager } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { ManualClock, type RedisServer, startRedis, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { driveUntilSettled } from './helpers/clock.ts'
import { expiredSession, type Member, member, SESSION_KEY, seededRandom } from './helpers/fleet.ts'

const MEMBERS = 6
let server: ReferenceServer
let redis: RedisServer
const clock = new ManualClock(Date.now())
/** When (on the clock) each token request left the fleet's client. */
const sentAt: number[] = []
const recording: typeof fetch = (input, init) => {
  if (String(input instanceof Request ? input.url : input).endsWith('/token'))
    sentAt.push(clock.now())
  return fetch(input, init)
}
let client: Client

beforeAll(async () => {
  redis = await startRedis()
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  client = await discover(server.issuer, {
    clock,
    fetch: recording,
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
afterEach(() => server.control.resetFaults())

const refreshes = () => server.control.requests({ endpoint: 'token', grantType: 'refresh_token' })

/** Six managers of one session, each with its own connections and jitter. */
async function fleet(prefix: string) {
  const members: Member[] = Array.from({ length: MEMBERS }, () => member(redis.url, prefix, clock))
  const managers = members.map(
    ({ store, lock }, i) =>
      new TokenManager({
        client,
        store,
        lock,
        key: SESSION_KEY,
        clock,
        random: seededRandom(i + 1),
      }),
  )
  for (const m of managers) m.on('error', () => {})
  await managers[0]!.setTokenSet(await expiredSession(client, clock))
  server.control.clearRequests()
  return { managers, close: () => Promise.all(members.map((m) => m.close())) }
}

/**
 * Every member asks for a token every `stepMs` of clock time for `durationMs`; returns the
 * number of refresh requests the provider saw in each second.
 */
async function hammer(managers: TokenManager[], durationMs: number, stepMs = 100) {
  const start = clock.now()
  const before = sentAt.length
  while (clock.now() - start < durationMs) {
    // Waits on the clock (the lock's polls, the client's own retries) pass as clock time.
    const answers = await driveUntilSettled(
      clock,
      Promise.all(managers.map((m) => m.getAccessToken().catch((e) => e))),
    )
    for (const answer of answers)
      expect(typeof answer === 'string' || isOpenRpError(answer)).toBe(true)
    await clock.advance(stepMs)
  }
  // Each token request in the second of the clock it was sent in.
  const perSecond: number[] = Array.from({ length: Math.ceil(durationMs / 1000) }, () => 0)
  for (const at of sentAt.slice(before)) {
    const second = Math.floor((at - start) / 1000)
    perSecond[second] = (perSecond[second] ?? 0) + 1
  }
  return perSecond
}

describe('a fleet of six during a provider outage', () => {
  it('503 for 6 s: at most 2 refresh requests a second, then one refresh for all', async () => {
    const { managers, close } = await fleet('o503')
    try {
      server.control.setFaults({ http: { token: { status: 503 } } })
      const perSecond = await hammer(managers, 6_000)
      // Six seconds measured (a request sent while the last step was driven may fall after them).
      expect(perSecond.length).toBeGreaterThanOrEqual(6)
      for (const count of perSecond) expect(count).toBeLessThanOrEqual(2)
      expect(perSecond.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2)

      // The outage ends: after the backoff, one refresh and every member has the token.
      server.control.resetFaults()
      server.control.clearRequests()
      await clock.advance(60_000)
      const tokens = await driveUntilSettled(
        clock,
        Promise.all(managers.map((m) => m.getAccessToken())),
      )
      expect(new Set(tokens).size).toBe(1)
      expect(refreshes().map((r) => r.status)).toEqual([200])
    } finally {
      await close()
    }
  }, 60_000)

  it('429 with Retry-After: 30: one request for the whole fleet until the 30 s are up', async () => {
    const { managers, close } = await fleet('o429')
    try {
      server.control.setFaults({ http: { token: { status: 429, retryAfter: '30' } } })
      const perSecond = await hammer(managers, 6_000)
      const total = perSecond.reduce((a, b) => a + b, 0)
      expect(total).toBe(1)
      // Still inside the 30 s: the remembered error, at once, from every member.
      await clock.advance(20_000)
      for (const m of managers) {
        const error = await m.getAccessToken().catch((e: unknown) => e)
        expect(error).toMatchObject({ code: 'OAUTH_ERROR', status: 429 })
      }
      expect(refreshes()).toHaveLength(1)
      server.control.resetFaults()
      await clock.advance(5_000)
      const tokens = await driveUntilSettled(
        clock,
        Promise.all(managers.map((m) => m.getAccessToken())),
      )
      expect(new Set(tokens).size).toBe(1)
      expect(refreshes().map((r) => r.status)).toEqual([429, 200])
    } finally {
      await close()
    }
  }, 60_000)
})
