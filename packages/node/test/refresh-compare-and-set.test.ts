// The coordinator's write-if-unchanged is atomic on RedisStore: a writer that read the session,
// then lost the race to another writer, does not overwrite the newer set.
import { discover, TokenManager, TokenSet } from '@openrp/core'
import { completeLogin, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisStore } from '../src/redis-store.ts'
import { useRedis } from './helpers/redis.ts'

const redis = useRedis()
let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => server?.close())

describe('TokenManager on RedisStore: write only if unchanged, atomically', () => {
  it('a refresh whose answer comes after another member wrote a newer set does not overwrite it', async () => {
    const client = await discover(server.issuer, {
      clientId: 'web',
      clientSecret: 'web-secret',
      redirectUri: 'http://127.0.0.1:4002/callback',
      scope: 'openid offline_access api:read',
    })
    const { url, transaction } = await client.createAuthorizationRequest({ prompt: 'consent' })
    const done = await completeLogin(url, { username: 'alice', password: 'wonderland' })
    const tokens = await client.handleAuthorizationResponse(done.url, transaction)
    const other = new RedisStore({ url: redis.server.url, prefix: 'cas:' })
    const newer = { ...tokens.toJSON(), accessToken: 'written-by-another-member' }
    // The race at its narrowest: another member (its lease lost to this one, say after a
    // failover) writes between the coordinator's last read and its write.
    let armed = false
    class RacedStore extends RedisStore {
      override async get<T = unknown>(key: string): Promise<T | undefined> {
        const value = await super.get<T>(key)
        if (armed) {
          armed = false
          await other.set('alice', newer)
        }
        return value
      }
    }
    const store = new RacedStore({ url: redis.server.url, prefix: 'cas:' })
    try {
      const manager = new TokenManager({ client, store, storageKey: 'alice' })
      await manager.setTokenSet(
        new TokenSet({ ...tokens.toJSON(), expiresAt: Math.floor(Date.now() / 1000) - 5 }),
      )
      const hold = server.control.hold({ endpoint: 'token', grantType: 'refresh_token', times: 1 })
      const refreshing = manager.getAccessToken().catch((error: unknown) => error)
      await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
      armed = true // the next read is the one before the write
      hold.release()
      await refreshing
      // The newer set stands: the late answer was not written over it.
      const stored = await new RedisStore({
        url: redis.server.url,
        prefix: 'cas:',
        localCache: false,
      }).get<{ accessToken: string }>('alice')
      expect(stored?.accessToken).toBe('written-by-another-member')
    } finally {
      await store.close()
      await other.close()
    }
  })
})
