import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Client, discover, InProcessLock, MemoryStore } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { flush, ManualClock, type RedisServer, startRedis, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'
import { FileStore } from '../src/file-store.ts'
import { RedisLock } from '../src/redis-lock.ts'
import { RedisStore } from '../src/redis-store.ts'

const API = 'https://api.example.test'
const DOWNSTREAM = 'https://downstream.example.test'

let server: ReferenceServer
let client: Client
/** Time of the client and the providers: it moves only when a test advances it. */
const clock = new ManualClock(Date.now())

beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    accessTokenTtl: 2,
  })
  client = await discover(server.issuer, { clock, clientId: 'm2m', clientSecret: 'm2m-secret' })
})
afterAll(async () => {
  await server?.close()
})
afterEach(() => {
  server.control.resetFaults()
  server.control.clearRequests()
})

const tokenRequests = () =>
  server.control.requests({ endpoint: 'token', grantType: 'client_credentials' })

describe('ClientCredentialsProvider (one process)', () => {
  it('caches the token and shares one request among concurrent callers', async () => {
    const provider = new ClientCredentialsProvider({ client, skewSec: 0 })
    const sets = await Promise.all(
      Array.from({ length: 100 }, () => provider.getToken({ scope: 'api:read', audience: API })),
    )
    expect(tokenRequests()).toHaveLength(1)
    expect(new Set(sets.map((s) => s.accessToken)).size).toBe(1)
    expect(sets[0]!.scope).toBe('api:read')
    const again = await provider.getToken({ scope: 'api:read', audience: API })
    expect(again.accessToken).toBe(sets[0]!.accessToken)
    expect(tokenRequests()).toHaveLength(1)
  })

  it('keeps one token per (scope, audience, resource); scope order does not matter', async () => {
    const provider = new ClientCredentialsProvider({ client, skewSec: 0 })
    const a = await provider.getToken({ scope: 'api:read api:write', audience: API })
    const b = await provider.getToken({ scope: 'api:write  api:read', audience: API })
    const c = await provider.getToken({ scope: 'api:read', audience: API })
    const d = await provider.getToken({ scope: 'api:read', audience: DOWNSTREAM })
    expect(b.accessToken).toBe(a.accessToken)
    expect(new Set([a, c, d].map((s) => s.accessToken)).size).toBe(3)
    expect(tokenRequests()).toHaveLength(3)
    expect(provider.keyOf({ scope: 'x y' })).toBe(provider.keyOf({ scope: 'y x' }))
    expect(provider.keyOf({ resource: [API, DOWNSTREAM] })).toBe(
      provider.keyOf({ resource: [DOWNSTREAM, API] }),
    )
    expect(provider.keyOf({ audience: API })).not.toBe(provider.keyOf({ resource: API }))
  })

  it('uses the key keyOf() gives for every form of the options, also when asked again', async () => {
    // Tokens of the default lifetime, so the second round finds every one still cached.
    const longLived = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
    const store = new MemoryStore()
    const provider = new ClientCredentialsProvider({
      client: await discover(longLived.issuer, { clientId: 'm2m', clientSecret: 'm2m-secret' }),
      store,
    })
    const calls = [
      {},
      { scope: '' },
      { scope: 'api:read' },
      { scope: 'api:write api:read' },
      { scope: 'api:read api:write' },
      { audience: API },
      { audience: '' },
      { scope: 'api:read', audience: API },
      { scope: 'api:read', audience: DOWNSTREAM },
      { scope: 'api:read', resource: API },
      { scope: 'api:read', audience: API, resource: [DOWNSTREAM, API] },
    ]
    try {
      const first = []
      for (const options of calls) {
        const set = await provider.getToken(options)
        expect(await store.get(provider.keyOf(options))).toEqual(set.toJSON())
        first.push(set)
      }
      for (const [i, options] of calls.entries()) {
        expect(await provider.getToken(options)).toBe(first[i])
      }
      // {} = scope '' = audience ''; the two scope orders are one key: 8 distinct keys.
      expect(new Set(first.map((set) => set.accessToken)).size).toBe(8)
      expect(
        longLived.control.requests({ endpoint: 'token', grantType: 'client_credentials' }),
      ).toHaveLength(8)
    } finally {
      await longLived.close()
    }
  })

  it('keys follow the issuer and client id of the client, also once remembered', async () => {
    const metadata = { issuer: server.issuer }
    const moving = {
      clientCredentials: (options: Parameters<Client['clientCredentials']>[0]) =>
        client.clientCredentials(options),
      get metadata() {
        return metadata
      },
      core: client.core,
    }
    const provider = new ClientCredentialsProvider({ client: moving, skewSec: 0 })
    const first = await provider.getToken({ scope: 'api:read' })
    expect(await provider.getToken({ scope: 'api:read' })).toBe(first)
    metadata.issuer = 'https://elsewhere.example.test'
    const second = await provider.getToken({ scope: 'api:read' })
    expect(second.accessToken).not.toBe(first.accessToken)
    expect(tokenRequests()).toHaveLength(2)
  })

  it('honours a subclass keyOf() on every call', async () => {
    let tenant = 'a'
    class PerTenant extends ClientCredentialsProvider {
      override keyOf(options: Parameters<ClientCredentialsProvider['keyOf']>[0]) {
        return `${tenant}:${super.keyOf(options)}`
      }
    }
    const provider = new PerTenant({ client, skewSec: 0 })
    const a = await provider.getToken({ scope: 'api:read' })
    tenant = 'b'
    const b = await provider.getToken({ scope: 'api:read' })
    expect(b.accessToken).not.toBe(a.accessToken)
    expect(tokenRequests()).toHaveLength(2)
  })

  it('the token it hands out is frozen: a caller cannot change what the next one gets', async () => {
    const provider = new ClientCredentialsProvider({ client, skewSec: 0 })
    const set = await provider.getToken({ scope: 'api:read' })
    expect(() => {
      ;(set as { accessToken: string }).accessToken = 'forged'
    }).toThrow(TypeError)
    expect((await provider.getToken({ scope: 'api:read' })).accessToken).toBe(set.accessToken)
    expect(tokenRequests()).toHaveLength(1)
  })

  it('gets a new token ahead of expiry (refreshSkewSec)', async () => {
    const provider = new ClientCredentialsProvider({ client, refreshSkewSec: 1 })
    const first = await provider.getToken({ scope: 'api:read' })
    expect(await provider.getToken({ scope: 'api:read' })).toBe(first)
    // 2 s tokens (whole seconds), 1 s skew: due a second after they were issued.
    const dueMs = (first.expiresAt! - 1) * 1000 - clock.now()
    await clock.advance(dueMs - 1)
    expect(await provider.getToken({ scope: 'api:read' })).toBe(first)
    await clock.advance(1)
    // Due, not expired: still that token, at once, while it is renewed in the background.
    expect(await provider.getToken({ scope: 'api:read' })).toBe(first)
    await provider.close()
    const second = await provider.getToken({ scope: 'api:read' })
    expect(second.accessToken).not.toBe(first.accessToken)
    expect(tokenRequests()).toHaveLength(2)
  })

  it('stores the token with a TTL of its lifetime', async () => {
    const store = new MemoryStore({ now: () => clock.now() })
    const provider = new ClientCredentialsProvider({ client, store, skewSec: 0 })
    const set = await provider.getToken({ scope: 'api:read' })
    expect(await store.get(provider.keyOf({ scope: 'api:read' }))).toEqual(set.toJSON())
    await clock.advance(1_000)
    expect(await store.get(provider.keyOf({ scope: 'api:read' }))).toEqual(set.toJSON())
    await clock.advance(1_100)
    expect(await store.get(provider.keyOf({ scope: 'api:read' }))).toBeUndefined()
  })

  it('forceRefresh replaces a valid token once for concurrent callers', async () => {
    const provider = new ClientCredentialsProvider({ client, skewSec: 0 })
    const old = await provider.getToken({ scope: 'api:read' })
    const forced = await Promise.all(
      Array.from({ length: 10 }, () =>
        provider.getToken({ scope: 'api:read', forceRefresh: true }),
      ),
    )
    expect(tokenRequests()).toHaveLength(2)
    expect(new Set(forced.map((s) => s.accessToken)).size).toBe(1)
    expect(forced[0]!.accessToken).not.toBe(old.accessToken)
    expect(await provider.getToken({ scope: 'api:read' })).toBe(forced[0])
  })

  it('rejectedToken replaces the refused token once; later calls for it get the replacement', async () => {
    const provider = new ClientCredentialsProvider({ client, skewSec: 0 })
    const old = await provider.getToken({ scope: 'api:read' })
    const first = await provider.getToken({ scope: 'api:read', rejectedToken: old.accessToken })
    expect(first.accessToken).not.toBe(old.accessToken)
    // Late callers that were refused the same old token: no new request.
    const late = await Promise.all(
      Array.from({ length: 5 }, () =>
        provider.getToken({ scope: 'api:read', rejectedToken: old.accessToken }),
      ),
    )
    expect(late.map((s) => s.accessToken)).toEqual(Array(5).fill(first.accessToken))
    expect(tokenRequests()).toHaveLength(2)
    // The replacement refused in its turn is replaced.
    const next = await provider.getToken({ scope: 'api:read', rejectedToken: first.accessToken })
    expect(next.accessToken).not.toBe(first.accessToken)
    expect(tokenRequests()).toHaveLength(3)
    await expect(
      provider.getToken({ scope: 'api:read', rejectedToken: 42 as never }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('rejectedToken: a caller joining a request under way waits at most timeoutMs', async () => {
    const lock = new InProcessLock({ clock })
    const provider = new ClientCredentialsProvider({
      client,
      lock,
      skewSec: 0,
      timeoutMs: 1_000,
      lockTimeoutMs: 60_000,
    })
    // Another context holds the lock: the request under way waits for it.
    let release!: () => void
    const held = lock.withLock(provider.keyOf({ scope: 'api:read' }), async () => {
      await new Promise<void>((resolve) => (release = resolve))
    })
    const settled: string[] = []
    const outcome = (name: string) => (error: { code?: string }) => {
      settled.push(`${name}: ${error.code}`)
    }
    const first = provider.getToken({ scope: 'api:read' }).catch(outcome('first'))
    await flush(5)
    const refused = provider
      .getToken({ scope: 'api:read', rejectedToken: 'refused-token' })
      .catch(outcome('refused'))
    await flush(5)
    await clock.advance(1_000)
    await flush(5)
    expect(settled.sort()).toEqual(['first: TIMEOUT', 'refused: TIMEOUT'])
    release()
    await Promise.all([held, first, refused])
    // The request went on: its token is there for the next caller.
    await provider.getToken({ scope: 'api:read' })
    expect(tokenRequests()).toHaveLength(1)
  })

  it('rejectedToken: a token another process already replaced in the shared store is used', async () => {
    const store = new MemoryStore()
    const a = new ClientCredentialsProvider({ client, store, skewSec: 0 })
    const b = new ClientCredentialsProvider({ client, store, skewSec: 0 })
    const old = await a.getToken({ scope: 'api:read' })
    expect((await b.getToken({ scope: 'api:read' })).accessToken).toBe(old.accessToken)
    const replaced = await a.getToken({ scope: 'api:read', rejectedToken: old.accessToken })
    // b still has the old token in memory; the resource refuses it too.
    const got = await b.getToken({ scope: 'api:read', rejectedToken: old.accessToken })
    expect(got.accessToken).toBe(replaced.accessToken)
    expect(tokenRequests()).toHaveLength(2)
  })

  it('a token without expires_in lives defaultLifetimeSec (memory and store TTL), not forever', async () => {
    server.control.setFaults({ tokenResponse: { omitExpiresIn: true } })
    const dir = await mkdtemp(join(tmpdir(), 'openrp-cc-'))
    try {
      const store = new FileStore({ dir })
      const provider = new ClientCredentialsProvider({
        client,
        store,
        skewSec: 0,
        // 2, not 1: expiresAt is in whole seconds, so a 1 s token issued late in a second is
        // already due a few ms later, and the cached read below would race it.
        defaultLifetimeSec: 2,
      })
      const before = Date.now()
      const first = await provider.getToken({ scope: 'api:read' })
      expect(first.expiresAt).toBe(Math.floor(clock.now() / 1000) + 2)
      const envelope = JSON.parse(
        await readFile(store.pathOf(provider.keyOf({ scope: 'api:read' })), 'utf8'),
      ) as { expiresAt?: number }
      expect(envelope.expiresAt).toBeGreaterThan(before)
      expect(envelope.expiresAt).toBeLessThanOrEqual(Date.now() + 2000)
      expect(await provider.getToken({ scope: 'api:read' })).toBe(first)
      expect(tokenRequests()).toHaveLength(1)
      await clock.advance(3_100)
      const second = await provider.getToken({ scope: 'api:read' })
      expect(second.accessToken).not.toBe(first.accessToken)
      expect(tokenRequests()).toHaveLength(2)
      // The default is five minutes.
      const byDefault = await new ClientCredentialsProvider({ client }).getToken({
        scope: 'api:read',
      })
      expect(byDefault.expiresIn(clock.now() / 1000)).toBeGreaterThan(299)
      expect(byDefault.expiresIn(clock.now() / 1000)).toBeLessThanOrEqual(300)
      expect(() => new ClientCredentialsProvider({ client, defaultLifetimeSec: 0 })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('passes the provider error through and caches nothing', async () => {
    const store = new MemoryStore()
    const provider = new ClientCredentialsProvider({ client, store })
    await expect(provider.getToken({ scope: 'not-allowed' })).rejects.toMatchObject({
      code: 'OAUTH_ERROR',
      error: 'invalid_scope',
    })
    expect(await store.get(provider.keyOf({ scope: 'not-allowed' }))).toBeUndefined()
  })

  it('rejects a missing client with INVALID_ARGUMENT', () => {
    expect(() => new ClientCredentialsProvider({} as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('refuses a scope or audience that is not a string with INVALID_ARGUMENT, not a TypeError', async () => {
    const provider = new ClientCredentialsProvider({ client, skewSec: 0 })
    await provider.getToken()
    // A scope array (as some configs hold scopes) was a bare TypeError out of keyOf().
    for (const options of [
      { scope: ['api:read', 'api:write'] },
      { scope: 42 },
      { audience: [API] },
      { audience: null },
    ]) {
      await expect(provider.getToken(options as never)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
    }
    expect(tokenRequests()).toHaveLength(1)
  })

  it('an empty scope or audience is none, cached or not: one token for all of them', async () => {
    // Keyed as none (keyOf), so sent as none: clientCredentials() refuses an empty one.
    for (const options of [{ scope: '' }, { scope: '  ' }, { audience: '' }, {}]) {
      const provider = new ClientCredentialsProvider({ client, skewSec: 0 })
      const set = await provider.getToken(options)
      expect(set.accessToken).toBeTypeOf('string')
      expect(await provider.getToken({})).toBe(set)
    }
    expect(tokenRequests()).toHaveLength(4)
  })

  it('rejects a timeoutMs or lockTimeoutMs that is not a number, 0 or more, with INVALID_ARGUMENT', () => {
    // A NaN timeoutMs (Number() of an unset variable) made every caller's wait endless.
    for (const bad of [Number.NaN, -1, '5000']) {
      for (const name of ['timeoutMs', 'lockTimeoutMs']) {
        expect(() => new ClientCredentialsProvider({ client, [name]: bad })).toThrow(
          expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
        )
      }
    }
    expect(
      () => new ClientCredentialsProvider({ client, timeoutMs: 0, lockTimeoutMs: Infinity }),
    ).not.toThrow()
  })

  it('rejects a bad backoff with INVALID_ARGUMENT', () => {
    for (const backoff of [{ baseMs: -1 }, { maxMs: Number.NaN }, { baseMs: 10, maxMs: 5 }]) {
      expect(() => new ClientCredentialsProvider({ client, backoff })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
  })
})

describe('ClientCredentialsProvider on Redis when Redis is killed mid-run', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it('gives STORE_ERROR while Redis is down and recovers when it returns', async () => {
    const store = new RedisStore({ url: redis.url, prefix: 'kill:' })
    const lock = new RedisLock({ url: redis.url, prefix: 'kill:lock:' })
    try {
      const provider = new ClientCredentialsProvider({ client, store, lock, skewSec: 0 })
      const cached = await provider.getToken({ scope: 'api:read' })

      await redis.stop(true)
      // A token this process already holds is still served from memory...
      expect(await provider.getToken({ scope: 'api:read' })).toBe(cached)
      // ...but anything that needs the shared cache fails fast with a typed error.
      const started = Date.now()
      await expect(provider.getToken({ scope: 'api:write' })).rejects.toMatchObject({
        code: 'STORE_ERROR',
      })
      await expect(
        provider.getToken({ scope: 'api:read', forceRefresh: true }),
      ).rejects.toMatchObject({ code: 'STORE_ERROR' })
      expect(Date.now() - started).toBeLessThan(3000)

      await redis.restart()
      let recovered: string | undefined
      const deadline = Date.now() + 10_000
      while (!recovered && Date.now() < deadline) {
        try {
          recovered = (await provider.getToken({ scope: 'api:write' })).accessToken
        } catch (error) {
          expect(error).toMatchObject({ code: 'STORE_ERROR' })
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      expect(recovered).toBeTypeOf('string')
      const stored = await store.get<{ accessToken: string }>(
        provider.keyOf({ scope: 'api:write' }),
      )
      expect(stored?.accessToken).toBe(recovered)
    } finally {
      await Promise.all([store.close(), lock.close()])
    }
  }, 30_000)
})

describe('ClientCredentialsProvider cache keys', () => {
  it('differ per issuer and client, so clients can share one store', async () => {
    const other = await discover(server.issuer, {
      clientId: 'exchange',
      clientSecret: 'exchange-secret',
      clientAuth: 'client_secret_post',
    })
    const store = new MemoryStore()
    const a = new ClientCredentialsProvider({ client, store, skewSec: 0 })
    const b = new ClientCredentialsProvider({ client: other, store, skewSec: 0 })
    expect(a.keyOf({ scope: 'api:read' })).not.toBe(b.keyOf({ scope: 'api:read' }))
    expect(a.keyOf({ scope: 'api:read' })).toContain(encodeURIComponent(server.issuer))
    const tokenA = await a.getToken({ scope: 'api:read' })
    const tokenB = await b.getToken({ scope: 'api:read' })
    expect(tokenB.accessToken).not.toBe(tokenA.accessToken)
    expect(tokenRequests().map((r) => r.clientId)).toEqual(['m2m', 'exchange'])
  })
})
