// TokenManager and ClientCredentialsProvider on RedisStore + RedisLock never send a token
// request after their lock's lease is lost (the member that took the lock over sends it), and
// never overwrite the stored tokens with stale ones. Real redis-server, real reference server.
// The locks' renewals follow a manual clock, so a lost lease is noticed when the test moves the
// clock to the next renewal; their leases are long, so Redis never expires a key on its own.
import {
  type Client,
  discover,
  isOpenRpError,
  type Lock,
  type LockLease,
  type LockOptions,
  type Store,
  type StoreSetOptions,
  TokenManager,
  TokenSet,
} from '@openrp/core'
import { completeLogin, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { ManualClock, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'
import { RedisLock } from '../src/redis-lock.ts'
import { RedisStore } from '../src/redis-store.ts'
import { useRedis } from './helpers/redis.ts'

const LEASE_MS = 30_000

const redis = useRedis()
let server: ReferenceServer
let web: Client
let m2m: Client

beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  web = await discover(server.issuer, {
    clientId: 'web',
    clientSecret: 'web-secret',
    redirectUri: 'http://127.0.0.1:4002/callback',
    scope: 'openid offline_access api:read',
  })
  m2m = await discover(server.issuer, { clientId: 'm2m', clientSecret: 'm2m-secret' })
})
afterAll(() => server?.close())

/**
 * A store of one fleet member whose reads of token values can be held up: `onRead(n)` runs after
 * the n-th read got its value and before it is returned (a slow read, during which the test
 * acts). Reads of the coordinator's failure records pass straight through.
 */
class SlowReadStore implements Store {
  reads = 0
  onRead: ((n: number) => Promise<void>) | undefined
  constructor(readonly inner: RedisStore) {}
  async get<T = unknown>(key: string): Promise<T | undefined> {
    if (key.endsWith(':failure')) return this.inner.get<T>(key)
    const value = await this.inner.get<T>(key)
    const n = ++this.reads
    await this.onRead?.(n)
    return value
  }
  set(key: string, value: unknown, options?: StoreSetOptions): Promise<void> {
    return this.inner.set(key, value, options)
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key)
  }
}

/** A RedisLock through which the test sees the lease of the current holder. */
class WatchedLock implements Lock {
  lease: LockLease | undefined
  constructor(
    readonly inner: RedisLock,
    readonly clock: ManualClock,
  ) {}
  withLock<T>(name: string, fn: (lease: LockLease) => Promise<T>, options?: LockOptions) {
    return this.inner.withLock(
      name,
      (lease) => {
        this.lease = lease
        return fn(lease)
      },
      options,
    )
  }
  /**
   * Moves the clock to the current holder's next renewal; resolves once that renewal has
   * noticed that its lease is gone.
   */
  async lost(): Promise<void> {
    const signal = this.lease!.signal
    if (signal.aborted) return
    const aborted = new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve()),
    )
    await this.clock.advance(LEASE_MS / 3)
    await aborted
  }
}

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  server.control.resetFaults()
  await Promise.all(closers.splice(0).map((close) => close()))
})

/** One member's RedisStore and RedisLock (own connections, as a separate process would have). */
function member(prefix: string) {
  const clock = new ManualClock(Date.now())
  const store = new RedisStore({ url: redis.server.url, prefix: `${prefix}:` })
  const redisLock = new RedisLock({
    url: redis.server.url,
    prefix: `${prefix}:lock:`,
    leaseMs: LEASE_MS,
    clock,
  })
  closers.push(
    () => store.close(),
    () => redisLock.close(),
  )
  return { store, lock: new WatchedLock(redisLock, clock) }
}

async function expiredSession(): Promise<TokenSet> {
  // offline_access (a refresh token) needs prompt=consent (OpenID Connect Core §11).
  const { url, transaction } = await web.createAuthorizationRequest({ prompt: 'consent' })
  const done = await completeLogin(url, { username: 'alice', password: 'wonderland' })
  const tokens = await web.handleAuthorizationResponse(done.url, transaction)
  return new TokenSet({ ...tokens.toJSON(), expiresAt: Math.floor(Date.now() / 1000) - 5 })
}

const refreshRequests = () =>
  server.control.requests({ endpoint: 'token', grantType: 'refresh_token' })
const ccRequests = () =>
  server.control.requests({ endpoint: 'token', grantType: 'client_credentials' })

describe('TokenManager on RedisLock, lease lost before the refresh request', () => {
  const KEY = 'user:alice'

  it('sends no request; starts over and uses the set the member that took the lock over wrote', async () => {
    const a = member('tm1')
    const b = member('tm1')
    const slow = new SlowReadStore(a.store)
    const managerA = new TokenManager({ client: web, store: slow, lock: a.lock, key: KEY })
    const managerB = new TokenManager({ client: web, store: b.store, lock: b.lock, key: KEY })
    const expired = await expiredSession()
    await managerB.setTokenSet(expired)
    server.control.clearRequests()

    let tokenB: string | undefined
    slow.onRead = async (n) => {
      // Read 1 is the hot path; read 2 is A's re-read under the lock. While it is slow, A's
      // lock key vanishes (an operator, a Redis failover) and B takes the lock and refreshes.
      if (n !== 2) return
      await redis.raw.del(`tm1:lock:${KEY}:refresh`)
      tokenB = await managerB.getAccessToken()
      await a.lock.lost()
    }
    const errors: unknown[] = []
    managerA.on('error', (e) => errors.push(e))

    const tokenA = await managerA.getAccessToken()

    // Only B's refresh reached the provider: A never replayed the rotated refresh token.
    expect(refreshRequests().map((r) => r.status)).toEqual([200])
    expect(tokenB).toBeDefined()
    expect(tokenA).toBe(tokenB)
    expect(errors).toEqual([])
    // A started over from the lock and re-read the store (read 3).
    expect(slow.reads).toBe(3)
    const stored = TokenSet.fromJSON(await b.store.get(KEY))
    expect(stored.accessToken).toBe(tokenB)
    expect(stored.refreshToken).not.toBe(expired.refreshToken)
    // The grant was not revoked by a replay: the stored refresh token still works.
    await expect(web.refresh(stored)).resolves.toBeInstanceOf(TokenSet)
  })

  it('lost again on the second try: rejects with LOCK_LOST, sends nothing, writes nothing', async () => {
    const a = member('tm2')
    const slow = new SlowReadStore(a.store)
    const manager = new TokenManager({ client: web, store: slow, lock: a.lock, key: KEY })
    const expired = await expiredSession()
    await manager.setTokenSet(expired)
    const before = await a.store.get(KEY)
    server.control.clearRequests()

    slow.onRead = async (n) => {
      if (n < 2) return
      // Every read under the lock: the lease vanishes while it is slow.
      await redis.raw.del(`tm2:lock:${KEY}:refresh`)
      await a.lock.lost()
    }
    const errors: unknown[] = []
    manager.on('error', (e) => errors.push(e))

    const error = await manager.getAccessToken().catch((e: unknown) => e)

    expect(isOpenRpError(error, 'LOCK_LOST')).toBe(true)
    expect(errors).toEqual([error])
    expect(slow.reads).toBe(3)
    expect(refreshRequests()).toEqual([])
    expect(await a.store.get(KEY)).toEqual(before)
    // The session is intact: the next call (lease kept) refreshes with the untouched token.
    slow.onRead = undefined
    const next = await manager.getAccessToken()
    expect(next).not.toBe(expired.accessToken)
    expect(refreshRequests().map((r) => r.status)).toEqual([200])
  })

  it('a request already sent when the lease is lost is finished, and its result stored', async () => {
    const a = member('tm3')
    const manager = new TokenManager({ client: web, store: a.store, lock: a.lock, key: KEY })
    const expired = await expiredSession()
    await manager.setTokenSet(expired)
    server.control.clearRequests()
    // The provider has rotated the refresh token; its answer waits. Meanwhile the lease
    // vanishes, and the holder's next renewal tells it.
    const hold = server.control.hold({ endpoint: 'token', grantType: 'refresh_token', times: 1 })
    const pending = manager.getAccessToken()
    await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
    await redis.raw.del(`tm3:lock:${KEY}:refresh`)
    await a.lock.lost()
    expect(a.lock.lease?.signal.aborted).toBe(true)
    hold.release()

    const token = await pending

    expect(refreshRequests().map((r) => r.status)).toEqual([200])
    const stored = TokenSet.fromJSON(await a.store.get(KEY))
    expect(stored.accessToken).toBe(token)
    expect(stored.refreshToken).not.toBe(expired.refreshToken)
    await expect(web.refresh(stored)).resolves.toBeInstanceOf(TokenSet)
  })
})

describe('ClientCredentialsProvider on RedisLock, lease lost before the token request', () => {
  const options = { scope: 'api:read', audience: 'https://api.example.test' }

  it('sends no request; starts over and returns the token the member that took the lock over stored', async () => {
    const a = member('cc1')
    const b = member('cc1')
    const slow = new SlowReadStore(a.store)
    const providerA = new ClientCredentialsProvider({ client: m2m, store: slow, lock: a.lock })
    const providerB = new ClientCredentialsProvider({ client: m2m, store: b.store, lock: b.lock })
    const key = providerA.keyOf(options)
    server.control.clearRequests()

    let tokenB: string | undefined
    slow.onRead = async (n) => {
      // Read 1 is before the lock; read 2 is the re-read under it.
      if (n !== 2) return
      await redis.raw.del(`cc1:lock:${key}`)
      tokenB = (await providerB.getToken(options)).accessToken
      await a.lock.lost()
    }

    const tokenA = (await providerA.getToken(options)).accessToken

    expect(ccRequests()).toHaveLength(1)
    expect(tokenB).toBeDefined()
    expect(tokenA).toBe(tokenB)
    expect(slow.reads).toBe(3)
    expect(TokenSet.fromJSON(await b.store.get(key)).accessToken).toBe(tokenB)
  })

  it('lost again on the second try: rejects with LOCK_LOST, sends nothing, stores nothing', async () => {
    const a = member('cc2')
    const slow = new SlowReadStore(a.store)
    const provider = new ClientCredentialsProvider({ client: m2m, store: slow, lock: a.lock })
    const key = provider.keyOf(options)
    server.control.clearRequests()

    slow.onRead = async (n) => {
      if (n < 2) return
      await redis.raw.del(`cc2:lock:${key}`)
      await a.lock.lost()
    }

    const error = await provider.getToken(options).catch((e: unknown) => e)

    expect(isOpenRpError(error, 'LOCK_LOST')).toBe(true)
    expect(slow.reads).toBe(3)
    expect(ccRequests()).toEqual([])
    expect(await a.store.get(key)).toBeUndefined()
    // Nothing was remembered either: the next call (lease kept) asks the provider.
    slow.onRead = undefined
    await expect(provider.getToken(options)).resolves.toBeInstanceOf(TokenSet)
    expect(ccRequests()).toHaveLength(1)
  })

  it('lost twice inside the renewal window: the token held, with LOCK_LOST to onWarning', async () => {
    const a = member('cc3')
    const slow = new SlowReadStore(a.store)
    const warnings: unknown[] = []
    let onWarned = () => {}
    const warned = new Promise<void>((resolve) => (onWarned = resolve))
    const provider = new ClientCredentialsProvider({
      client: m2m,
      store: slow,
      lock: a.lock,
      clock: a.lock.clock,
      refreshSkewSec: 60,
      onWarning: (error) => {
        warnings.push(error)
        onWarned()
      },
    })
    const key = provider.keyOf(options)
    const held = await provider.getToken(options)
    // 45 s left: inside the renewal window; each lost lease below moves the clock 10 s.
    await a.lock.clock.advance((held.expiresAt! - 45) * 1000 - a.lock.clock.now())
    server.control.clearRequests()

    const first = slow.reads + 1
    slow.onRead = async (n) => {
      // Every read under the lock: the lease vanishes while it is slow.
      if (n === first) return
      await redis.raw.del(`cc3:lock:${key}`)
      await a.lock.lost()
    }

    await expect(provider.getToken(options)).resolves.toBe(held)
    // Renewed in the background: its failure reaches onWarning.
    await warned
    expect(warnings).toHaveLength(1)
    expect(isOpenRpError(warnings[0], 'LOCK_LOST')).toBe(true)
    expect(slow.reads).toBe(first + 2)
    expect(ccRequests()).toEqual([])
  })
})
