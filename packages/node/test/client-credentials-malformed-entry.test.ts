/**
 * Regression: a cached client-credentials entry that could not be read as a token (written by
 * another program or version, or corrupt) made every getToken() of its key fail with
 * STORE_ERROR until the entry expired. It is now a cache miss: a new token is fetched, under the
 * lock like any other miss, and overwrites it. A store that fails to read still gives
 * STORE_ERROR.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Client, discover, InProcessLock, MemoryStore } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { fixedKeyPairs, flush, type RedisServer, startRedis } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'
import { FileStore } from '../src/file-store.ts'
import { RedisLock } from '../src/redis-lock.ts'
import { RedisStore } from '../src/redis-store.ts'

let server: ReferenceServer
let client: Client
let redis: RedisServer

beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  client = await discover(server.issuer, { clientId: 'm2m', clientSecret: 'm2m-secret' })
  redis = await startRedis()
})
afterAll(async () => {
  await Promise.all([server?.close(), redis?.stop()])
})
afterEach(() => {
  server.control.clearRequests()
})

const tokenRequests = () =>
  server.control.requests({ endpoint: 'token', grantType: 'client_credentials' })

/** JSON values a store may hold under a token's key that are no cached token. */
const MALFORMED: [string, unknown][] = [
  ['a string', 'not a token'],
  ['an array', []],
  ['an empty object', {}],
  ['a numeric accessToken', { accessToken: 42, tokenType: 'Bearer' }],
  ['no tokenType', { accessToken: 'at' }],
  ['a textual expiresAt', { accessToken: 'at', tokenType: 'Bearer', expiresAt: 'soon' }],
]

describe('ClientCredentialsProvider with a malformed cached entry', () => {
  it.each(MALFORMED)(
    'treats %s as a miss: fetches under the lock and overwrites it',
    async (_name, malformed) => {
      const store = new MemoryStore()
      const lock = new InProcessLock()
      const provider = new ClientCredentialsProvider({ client, store, lock })
      const key = provider.keyOf({ scope: 'api:read' })
      await store.set(key, malformed)

      // Another context holds the key's lock: the miss waits for it like any other.
      let release!: () => void
      const held = lock.withLock(key, () => new Promise<void>((resolve) => (release = resolve)))
      const pending = provider.getToken({ scope: 'api:read' })
      await flush(10)
      expect(tokenRequests()).toHaveLength(0)
      release()
      await held

      const tokens = await pending
      expect(tokens.scope).toBe('api:read')
      expect(tokenRequests()).toHaveLength(1)
      expect(await store.get(key)).toEqual(tokens.toJSON())
      // Nothing else: no failure remembered, and the next call is served from the cache.
      expect(await store.get(`${key}:failure`)).toBeUndefined()
      expect(await provider.getToken({ scope: 'api:read' })).toBe(tokens)
      expect(tokenRequests()).toHaveLength(1)
    },
  )

  it('a fleet on Redis replaces it with one request, written over the malformed entry', async () => {
    const members = Array.from({ length: 3 }, () => ({
      store: new RedisStore({ url: redis.url, prefix: 'malformed:' }),
      lock: new RedisLock({ url: redis.url, prefix: 'malformed:lock:' }),
    }))
    try {
      const providers = members.map(
        ({ store, lock }) => new ClientCredentialsProvider({ client, store, lock }),
      )
      const key = providers[0]!.keyOf({ scope: 'api:read' })
      const { store } = members[0]!
      await store.set(key, { accessToken: '', tokenType: 'Bearer', expiresAt: 'never' })

      const tokens = await Promise.all(providers.map((p) => p.getToken({ scope: 'api:read' })))
      expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1)
      expect(tokenRequests()).toHaveLength(1)
      expect(await store.get(key, { fresh: true })).toEqual(tokens[0]!.toJSON())
      expect(await store.get(`${key}:failure`, { fresh: true })).toBeUndefined()
    } finally {
      await Promise.all(members.flatMap(({ store, lock }) => [store.close(), lock.close()]))
    }
  })

  it('a store that fails to read (a file that is not JSON) still gives STORE_ERROR', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openrp-cc-malformed-'))
    try {
      const store = new FileStore({ dir })
      const provider = new ClientCredentialsProvider({ client, store })
      const key = provider.keyOf({ scope: 'api:read' })
      await store.set(key, 'placeholder')
      await writeFile(store.pathOf(key), '{"accessToken": "at", ', 'utf8')
      await expect(provider.getToken({ scope: 'api:read' })).rejects.toMatchObject({
        code: 'STORE_ERROR',
      })
      expect(tokenRequests()).toHaveLength(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
