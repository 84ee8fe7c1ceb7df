/**
 * Issue 14: the provider is down while a fleet of six ClientCredentialsProviders needs a token.
 * Failures are remembered (backoff with jitter, `Retry-After`) and shared through the store: at
 * most 2 token requests in any second of a 6 s 503 outage (it sent 121; each attempt is one request:
 * the client's own retries do not stack under the backoff), at most one per member
 * during 429 with `Retry-After: 30` (it sent 101 a second); and the fleet recovers after it.
 */
import { type Client, discover, isOpenRpError } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { ManualClock, type RedisServer, startRedis, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'
import { driveUntilSettled } from './helpers/clock.ts'
import { type Member, member, seededRandom } from './helpers/fleet.ts'

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
    clientId: 'm2m',
    clientSecret: 'm2m-secret',
  })
})
afterAll(async () => {
  await server?.close()
  await redis?.stop()
})
afterEach(() => server.control.resetFaults())

const tokenRequests = () =>
  server.control.requests({ endpoint: 'token', grantType: 'client_credentials' })

function fleet(prefix: string) {
  const members: Member[] = Array.from({ length: MEMBERS }, () => member(redis.url, prefix, clock))
  const providers = members.map(
    ({ store, lock }, i) =>
      new ClientCredentialsProvider({ client, store, lock, clock, random: seededRandom(i + 7) }),
  )
  return { providers, close: () => Promise.all(members.map((m) => m.close())) }
}

/** Every member asks every `stepMs` for `durationMs`; token requests seen per second. */
async function hammer(providers: ClientCredentialsProvider[], durationMs: number, stepMs = 100) {
  const start = clock.now()
  const before = sentAt.length
  while (clock.now() - start < durationMs) {
    // Waits on the clock (the lock's polls, the client's own retries) pass as clock time.
    const answers = await driveUntilSettled(
      clock,
      Promise.all(providers.map((p) => p.getToken({ scope: 'api:read' }).catch((e: unknown) => e))),
    )
    for (const answer of answers) expect(isOpenRpError(answer)).toBe(true)
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

describe('a fleet of six ClientCredentialsProviders during a provider outage', () => {
  it('503 for 6 s: at most 2 token requests in any second, then one token for all', async () => {
    const { providers, close } = fleet('cc503')
    try {
      server.control.clearRequests()
      server.control.setFaults({ http: { token: { status: 503 } } })
      const perSecond = await hammer(providers, 6_000)
      // The backoff is the only retry policy: the client's own retries (2 per request by
      // default, client credentials being idempotent) do not stack under it: a failure is one
      // request, not three in a burst.
      for (const n of perSecond) expect(n ?? 0).toBeLessThanOrEqual(2)
      const total = perSecond.reduce((a, b) => a + b, 0)
      // Backoff 1 s, 2 s, 4 s (halved at most by the jitter): 3 to 5 attempts in 6 s.
      expect(total).toBeGreaterThanOrEqual(3)
      expect(total).toBeLessThanOrEqual(5)

      server.control.resetFaults()
      server.control.clearRequests()
      await clock.advance(60_000)
      const tokens = await driveUntilSettled(
        clock,
        Promise.all(providers.map((p) => p.getToken({ scope: 'api:read' }))),
      )
      expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1)
      expect(tokenRequests()).toHaveLength(1)
    } finally {
      await close()
    }
  }, 60_000)

  it('429 with Retry-After: 30: one request for the whole fleet until the 30 s are up', async () => {
    const { providers, close } = fleet('cc429')
    try {
      server.control.clearRequests()
      server.control.setFaults({ http: { token: { status: 429, retryAfter: '30' } } })
      const perSecond = await hammer(providers, 6_000)
      expect(perSecond.reduce((a, b) => a + b, 0)).toBe(1)
      await clock.advance(20_000)
      for (const p of providers) {
        const error = await p.getToken({ scope: 'api:read' }).catch((e: unknown) => e)
        expect(error).toMatchObject({ code: 'OAUTH_ERROR', status: 429 })
      }
      expect(tokenRequests()).toHaveLength(1)
      server.control.resetFaults()
      await clock.advance(5_000)
      const tokens = await driveUntilSettled(
        clock,
        Promise.all(providers.map((p) => p.getToken({ scope: 'api:read' }))),
      )
      expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1)
      expect(tokenRequests().map((r) => r.status)).toEqual([429, 200])
    } finally {
      await close()
    }
  }, 60_000)
})
