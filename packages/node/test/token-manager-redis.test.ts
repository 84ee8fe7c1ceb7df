// TokenManager with the fleet adapters: several managers, each with its own Redis connections
// (as separate processes would have), refreshing one user session.
import { type Client, discover, TokenManager, TokenSet } from '@openrp/core'
import { completeLogin, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { type RedisServer, startRedis, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisLock } from '../src/redis-lock.ts'
import { RedisStore } from '../src/redis-store.ts'

let server: ReferenceServer
let redis: RedisServer
let client: Client

beforeAll(async () => {
  redis = await startRedis()
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  client = await discover(server.issuer, {
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

describe('TokenManager on RedisStore + RedisLock', () => {
  it('refreshes an expired session once across managers with separate connections', async () => {
    // offline_access (a refresh token) needs prompt=consent (OpenID Connect Core §11).
    const { url, transaction } = await client.createAuthorizationRequest({ prompt: 'consent' })
    const done = await completeLogin(url, { username: 'alice', password: 'wonderland' })
    const tokens = await client.handleAuthorizationResponse(done.url, transaction)
    const expired = new TokenSet({
      ...tokens.toJSON(),
      expiresAt: Math.floor(Date.now() / 1000) - 5,
    })

    const parts = Array.from({ length: 4 }, () => ({
      store: new RedisStore({ url: redis.url, prefix: 'tm:' }),
      lock: new RedisLock({ url: redis.url, prefix: 'tm:lock:' }),
    }))
    try {
      const managers = parts.map(
        ({ store, lock }) => new TokenManager({ client, store, lock, key: 'user:alice' }),
      )
      await managers[0]!.setTokenSet(expired)
      server.control.clearRequests()

      const results = await Promise.all(
        managers.flatMap((m) => Array.from({ length: 25 }, () => m.getAccessToken())),
      )

      const refreshes = server.control.requests({ endpoint: 'token', grantType: 'refresh_token' })
      expect(refreshes.map((r) => r.status)).toEqual([200])
      expect(new Set(results).size).toBe(1)
      const stored = TokenSet.fromJSON(await parts[3]!.store.get('user:alice'))
      expect(stored.accessToken).toBe(results[0])
      expect(stored.refreshToken).not.toBe(tokens.refreshToken)
    } finally {
      await Promise.all(parts.flatMap(({ store, lock }) => [store.close(), lock.close()]))
    }
  })
})
