import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { completeLogin, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { flush, ManualClock, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Client, discover } from '../src/client.ts'
import { isOpenRpError, type OpenRpError, StoreError } from '../src/errors.ts'
import { InProcessLock } from '../src/in-process-lock.ts'
import { MemoryStore } from '../src/memory-store.ts'
import type { Lock } from '../src/store.ts'
import { TokenManager, type VisibilityHook } from '../src/token-manager.ts'
import { TokenSet } from '../src/token-set.ts'
import { CachingStore } from './helpers/session.ts'

let server: ReferenceServer
let client: Client

beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  client = await discover(server.issuer, {
    clock,
    clientId: 'spa',
    redirectUri: 'http://127.0.0.1:4001/',
    scope: 'openid profile offline_access api:read',
  })
})
afterAll(async () => {
  await server?.close()
})
afterEach(() => {
  server.control.resetFaults()
})

const KEY = 'session:alice'
/**
 * Time of the clients and managers of this file: it moves only when a test advances it (and
 * dates the token sets the clients build).
 */
const clock = new ManualClock(Date.now())

/** A real login through the server's pages: a token set with a refresh token. */
async function login(): Promise<TokenSet> {
  // offline_access needs prompt=consent (OpenID Connect Core §11).
  const { url, transaction } = await client.createAuthorizationRequest({ prompt: 'consent' })
  const done = await completeLogin(url, { username: 'alice', password: 'wonderland' })
  const tokens = await client.handleAuthorizationResponse(done.url, transaction)
  expect(tokens.refreshToken).toBeTypeOf('string')
  return tokens
}

/** The same tokens, but with an access token that expired ten seconds ago (by `clock`). */
function expired(tokens: TokenSet): TokenSet {
  return new TokenSet({ ...tokens.toJSON(), expiresAt: Math.floor(clock.now() / 1000) - 10 })
}

/** A manager on the test's clock. */
function createManager(options: Omit<ConstructorParameters<typeof TokenManager>[0], 'clock'>) {
  return new TokenManager({ clock, ...options })
}

function refreshRequests() {
  return server.control.requests({ endpoint: 'token', grantType: 'refresh_token' })
}

/** A MemoryStore that counts reads (to check the hot path does exactly one). */
class CountingStore extends MemoryStore {
  reads = 0
  override get<T>(key: string): Promise<T | undefined> {
    this.reads++
    return super.get<T>(key)
  }
}

async function settle<T>(promise: Promise<T>): Promise<T | OpenRpError> {
  return promise.catch((error: OpenRpError) => error)
}

/** A promise and the function that resolves it. */
function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/**
 * The real client, but each refresh's answer is held until the test calls `release()` (the
 * provider has processed it: `answered` resolves then). A slow answer, deterministic.
 */
function gatedClient() {
  const answered = deferred()
  const released = deferred()
  return {
    answered: answered.promise,
    release: () => released.resolve(),
    refresh: async (set: string | TokenSet, options?: { timeoutMs?: number }) => {
      const next = await client.refresh(set, options)
      answered.resolve()
      await released.promise
      return next
    },
  }
}

describe('TokenManager', () => {
  it('hot path: a valid token costs one store read and no request', async () => {
    const tokens = await login()
    const store = new CountingStore()
    const manager = createManager({ client, store, key: KEY })
    await manager.setTokenSet(tokens)
    server.control.clearRequests()
    store.reads = 0
    expect(await manager.getAccessToken()).toBe(tokens.accessToken)
    expect(store.reads).toBe(1)
    expect(server.control.requests()).toHaveLength(0)
  })

  it('hot path reads the store on every call and returns a set another party stored at once', async () => {
    const [mine, theirs] = await Promise.all([login(), login()])
    const store = new CountingStore()
    const manager = createManager({ client, store, key: KEY })
    await manager.setTokenSet(mine)
    for (let i = 0; i < 3; i++) expect(await manager.getAccessToken()).toBe(mine.accessToken)
    // Another tab or process replaces the stored set: the very next call returns its token.
    await store.set(KEY, theirs.toJSON())
    store.reads = 0
    expect(await manager.getAccessToken()).toBe(theirs.accessToken)
    expect(await manager.getAccessToken()).toBe(theirs.accessToken)
    expect(store.reads).toBe(2)
    expect((await manager.getTokenSet())?.refreshToken).toBe(theirs.refreshToken)
    // ...and back again, with content equal to what was read before.
    await store.set(KEY, mine.toJSON())
    expect(await manager.getAccessToken()).toBe(mine.accessToken)
    await store.delete(KEY)
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
  })

  it('hot path on a store that hands out one mutable object: a change in place is seen', async () => {
    const [mine, theirs] = await Promise.all([login(), login()])
    // A store of someone's own that returns its object itself, not a copy and not frozen.
    const value: Record<string, unknown> = { ...mine.toJSON() }
    const store = {
      get: async <T>() => value as T,
      set: async () => {},
      delete: async () => {},
    }
    const manager = createManager({ client, store, key: KEY })
    expect(await manager.getAccessToken()).toBe(mine.accessToken)
    Object.assign(value, theirs.toJSON())
    expect(await manager.getAccessToken()).toBe(theirs.accessToken)
  })

  it('the token set it hands out is frozen: a caller cannot change what others get', async () => {
    const tokens = await login()
    const manager = createManager({ client, store: new MemoryStore(), key: KEY })
    await manager.setTokenSet(tokens)
    const set = (await manager.getTokenSet())!
    expect(() => {
      ;(set as { accessToken: string }).accessToken = 'forged'
    }).toThrow(TypeError)
    expect(await manager.getAccessToken()).toBe(tokens.accessToken)
    expect((await manager.getTokenSet())?.accessToken).toBe(tokens.accessToken)
  })

  it('a malformed stored set is STORE_ERROR on every call, also after a good one', async () => {
    const tokens = await login()
    const store = new MemoryStore()
    const manager = createManager({ client, store, key: KEY })
    await manager.setTokenSet(tokens)
    expect(await manager.getAccessToken()).toBe(tokens.accessToken)
    await store.set(KEY, { accessToken: 42 })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'STORE_ERROR' })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'STORE_ERROR' })
  })

  it('1,000 concurrent callers on an expired token: exactly 1 refresh request', async () => {
    const tokens = await login()
    const store = new MemoryStore()
    const manager = createManager({ client, store, key: KEY })
    await manager.setTokenSet(expired(tokens))
    const refreshed: TokenSet[] = []
    manager.on('refreshed', (set) => refreshed.push(set))
    server.control.clearRequests()

    const results = await Promise.all(Array.from({ length: 1000 }, () => manager.getAccessToken()))

    expect(refreshRequests()).toHaveLength(1)
    expect(refreshRequests()[0]!.status).toBe(200)
    expect(new Set(results).size).toBe(1)
    expect(results[0]).not.toBe(tokens.accessToken)
    expect(refreshed).toHaveLength(1)
    const stored = TokenSet.fromJSON(await store.get(KEY))
    expect(stored.accessToken).toBe(results[0])
    expect(stored.refreshToken).not.toBe(tokens.refreshToken)
    // The new token is valid: the next call is the hot path again.
    expect(await manager.getAccessToken()).toBe(results[0])
    expect(refreshRequests()).toHaveLength(1)
  })

  it('contexts sharing a store and a lock refresh once (the waiter re-reads the store)', async () => {
    const tokens = await login()
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const managers = Array.from({ length: 5 }, () =>
      createManager({ client, store, lock, key: KEY }),
    )
    await managers[0]!.setTokenSet(expired(tokens))
    server.control.clearRequests()
    const results = await Promise.all(
      managers.flatMap((m) => Array.from({ length: 20 }, () => m.getAccessToken())),
    )
    expect(refreshRequests()).toHaveLength(1)
    expect(new Set(results).size).toBe(1)
    expect(server.control.requests({ endpoint: 'token' }).every((r) => r.status === 200)).toBe(true)
  })

  it('works with a Lock written before LockLease existed (fn called without a lease)', async () => {
    const tokens = await login()
    const inner = new InProcessLock()
    // An older custom Lock: calls fn with no argument.
    const legacy: Lock = {
      withLock: (name, fn, options) =>
        inner.withLock(name, () => (fn as () => Promise<never>)(), options),
    }
    const store = new MemoryStore()
    const manager = createManager({ client, store, lock: legacy, key: KEY })
    await manager.setTokenSet(expired(tokens))
    server.control.clearRequests()
    const token = await manager.getAccessToken()
    expect(token).not.toBe(tokens.accessToken)
    expect(refreshRequests()).toHaveLength(1)
    expect(TokenSet.fromJSON(await store.get(KEY)).accessToken).toBe(token)
  })

  it('writes the rotated set before releasing the lock', async () => {
    const tokens = await login()
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const manager = createManager({ client, store, lock, key: KEY })
    await manager.setTokenSet(expired(tokens))
    const pending = manager.getAccessToken()
    // Queue behind the refresh: by the time this runs the new set must already be stored.
    await new Promise((r) => setTimeout(r, 0))
    const seenUnderLock = await lock.withLock(`${KEY}:refresh`, () => store.get(KEY))
    const fresh = await pending
    expect(TokenSet.fromJSON(seenUnderLock).accessToken).toBe(fresh)
  })

  it('invalid_grant after a sibling rotated the token: uses the stored set, no logout', async () => {
    const tokens = await login()
    const store = new MemoryStore()
    let siblingSet: TokenSet | undefined
    // A sibling (another process without our lock) rotates the refresh token just before our
    // request reaches the server, so the server sees our refresh token as reused.
    const racingClient = {
      refresh: async (current: string | TokenSet) => {
        siblingSet = await client.refresh(current)
        await store.set(KEY, siblingSet.toJSON())
        return client.refresh(current)
      },
    }
    const manager = createManager({ client: racingClient, store, key: KEY })
    await manager.setTokenSet(expired(tokens))
    let expiredEvents = 0
    manager.on('expired', () => expiredEvents++)
    server.control.clearRequests()

    const accessToken = await manager.getAccessToken()

    expect(refreshRequests().map((r) => r.status)).toEqual([200, 400])
    expect(accessToken).toBe(siblingSet!.accessToken)
    expect(expiredEvents).toBe(0)
    expect(TokenSet.fromJSON(await store.get(KEY)).accessToken).toBe(siblingSet!.accessToken)
  })

  it('a real invalid_grant clears the session and emits expired exactly once, never a loop', async () => {
    const tokens = await login()
    const store = new MemoryStore()
    const manager = createManager({ client, store, key: KEY })
    // Another context sharing the store: it learns of the end from the marker.
    const sibling = createManager({ client, store, key: KEY })
    // The sibling stored the session, so it has seen it...
    await sibling.setTokenSet(expired(new TokenSet({ ...tokens.toJSON(), refreshToken: 'bogus' })))
    const events: OpenRpError[] = []
    manager.on('expired', (error) => events.push(error))
    const siblingEvents: string[] = []
    sibling.on('expired', (_error, info) => siblingEvents.push(info.source))
    let errorEvents = 0
    manager.on('error', () => errorEvents++)
    server.control.clearRequests()

    const first = await Promise.all(
      Array.from({ length: 10 }, () => settle(manager.getAccessToken())),
    )
    const later = [await settle(manager.getAccessToken()), await settle(manager.refresh())]

    for (const error of [...first, ...later]) {
      expect(isOpenRpError(error, 'SESSION_EXPIRED')).toBe(true)
    }
    expect(events).toHaveLength(1)
    expect(events[0]!.code).toBe('SESSION_EXPIRED')
    expect(events[0]!.cause).toMatchObject({ code: 'INVALID_GRANT', error: 'invalid_grant' })
    expect(errorEvents).toBe(0)
    expect(refreshRequests()).toHaveLength(1)
    expect(await store.get(KEY)).toBeUndefined()
    expect(await manager.getTokenSet()).toBeUndefined()
    expect(manager.phase).toBe('expired')

    // ...and ends it when it reads the marker: SESSION_EXPIRED and one `expired`, no request.
    await expect(sibling.getAccessToken()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' })
    await expect(sibling.getAccessToken()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' })
    expect(siblingEvents).toEqual(['elsewhere'])
    expect(refreshRequests()).toHaveLength(1)

    // A new login starts a new session.
    const again = await login()
    await manager.setTokenSet(again)
    expect(await manager.getAccessToken()).toBe(again.accessToken)
    expect(await sibling.getAccessToken()).toBe(again.accessToken)
    expect(sibling.phase).toBe('active')
  })

  it('a provider 5xx emits error and rejects, keeping the stored tokens; after the backoff a call recovers', async () => {
    const tokens = expired(await login())
    const store = new MemoryStore()
    const manager = createManager({ client, store, key: KEY, random: () => 1 })
    await manager.setTokenSet(tokens)
    const errors: unknown[] = []
    manager.on('error', (error) => errors.push(error))
    let expiredEvents = 0
    manager.on('expired', () => expiredEvents++)
    server.control.setFaults({ http: { token: { status: 503 } } })
    server.control.clearRequests()

    const failure = await settle(manager.getAccessToken())
    expect(isOpenRpError(failure, 'OAUTH_ERROR')).toBe(true)
    expect(errors).toEqual([failure])
    expect(expiredEvents).toBe(0)
    expect(TokenSet.fromJSON(await store.get(KEY)).refreshToken).toBe(tokens.refreshToken)

    // Remembered: the same error at once, without a request, until the backoff (1 s) ends.
    server.control.resetFaults()
    expect(await settle(manager.getAccessToken())).toBe(failure)
    expect(refreshRequests()).toHaveLength(1)
    await clock.advance(1_000)
    const fresh = await manager.getAccessToken()
    expect(fresh).not.toBe(tokens.accessToken)
    expect(refreshRequests().map((r) => r.status)).toEqual([503, 200])
  })

  it('rejects with LOGIN_REQUIRED when nothing is stored, and STORE_ERROR on a malformed set', async () => {
    const store = new MemoryStore()
    const manager = createManager({ client, store, key: KEY })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
    await store.set(KEY, { accessToken: 42 })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'STORE_ERROR' })
    expect(await store.get(KEY)).toEqual({ accessToken: 42 })
  })

  it('clear() logs out: the next call needs a login', async () => {
    const manager = createManager({ client, store: new MemoryStore(), key: KEY })
    await manager.setTokenSet(await login())
    await manager.clear()
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
  })

  it('refresh() renews a still-valid set, once for concurrent callers', async () => {
    const tokens = await login()
    const manager = createManager({ client, store: new MemoryStore(), key: KEY })
    await manager.setTokenSet(tokens)
    server.control.clearRequests()
    const sets = await Promise.all([manager.refresh(), manager.refresh(), manager.refresh()])
    expect(refreshRequests()).toHaveLength(1)
    expect(sets[0]!.accessToken).not.toBe(tokens.accessToken)
    expect(new Set(sets.map((s) => s.accessToken)).size).toBe(1)
  })

  it('renews a set without a refresh token through `renew`, once for concurrent callers', async () => {
    const tokens = await login()
    const noRefresh = new TokenSet({ ...expired(tokens).toJSON(), refreshToken: undefined })
    let renewCalls = 0
    const manager = new TokenManager({
      client,
      store: new MemoryStore(),
      key: KEY,
      renew: async (current) => {
        renewCalls++
        expect(current.accessToken).toBe(noRefresh.accessToken)
        return client.refresh(tokens)
      },
    })
    await manager.setTokenSet(noRefresh)
    const results = await Promise.all(Array.from({ length: 50 }, () => manager.getAccessToken()))
    expect(renewCalls).toBe(1)
    expect(new Set(results).size).toBe(1)
  })

  it('ends an expired set without refresh token and without renew (SESSION_EXPIRED, once)', async () => {
    const tokens = await login()
    const manager = createManager({ client, store: new MemoryStore(), key: KEY })
    await manager.setTokenSet(
      new TokenSet({ ...expired(tokens).toJSON(), refreshToken: undefined }),
    )
    let expiredEvents = 0
    manager.on('expired', () => expiredEvents++)
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' })
    expect(expiredEvents).toBe(1)
  })

  it('proactive refresh runs ahead of expiry, and waits while the page is hidden', async () => {
    const tokens = await login()
    let visible = false
    const listeners = new Set<(v: boolean) => void>()
    const visibility: VisibilityHook = {
      isVisible: () => visible,
      onChange: (listener) => {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
    }
    const store = new MemoryStore()
    const manager = createManager({
      client,
      store,
      key: KEY,
      refreshSkewSec: 60,
      jitterSec: 0,
      autoRefresh: true,
      visibility,
    })
    try {
      const refreshed = new Promise<TokenSet>((resolve) => manager.on('refreshed', resolve))
      server.control.clearRequests()
      // Enters the skew window in 10 s.
      const soon = Math.floor(clock.now() / 1000) + 70
      await manager.setTokenSet(
        new TokenSet({ ...tokens.toJSON(), issuedAt: soon - 3600, expiresAt: soon }),
      )
      await clock.advance(9_000)
      expect(clock.pendingTimers).toBe(1)
      await clock.advance(2_000)
      // Due, but hidden: nothing is sent, and no timer spins.
      expect(refreshRequests()).toHaveLength(0)
      expect(clock.pendingTimers).toBe(0)

      visible = true
      for (const listener of listeners) listener(true)
      const fresh = await refreshed
      await flush()
      expect(refreshRequests()).toHaveLength(1)
      expect(TokenSet.fromJSON(await store.get(KEY)).accessToken).toBe(fresh.accessToken)
      // Armed again for the new set.
      expect(clock.pendingTimers).toBe(1)
    } finally {
      manager.close()
    }
    expect(listeners.size).toBe(0)
    expect(clock.pendingTimers).toBe(0)
  })

  it('rejects bad options with INVALID_ARGUMENT', () => {
    const store = new MemoryStore()
    const cases: unknown[] = [
      { client: {}, store, key: KEY },
      { client, store, key: '' },
      { client, key: KEY },
      { client, store, key: KEY, skewSec: -1 },
      { client, store, key: KEY, backoff: { baseMs: -1 } },
      { client, store, key: KEY, backoff: { baseMs: 5_000, maxMs: 1_000 } },
    ]
    for (const options of cases) {
      expect(() => new TokenManager(options as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    }
  })
})

describe('TokenManager when the store or another context interferes', () => {
  /** A MemoryStore whose next `failWrites` writes throw STORE_ERROR. */
  class FlakyStore extends MemoryStore {
    failWrites = 0
    override async set(key: string, value: unknown): Promise<void> {
      if (this.failWrites > 0) {
        this.failWrites--
        throw new StoreError('disk full')
      }
      return super.set(key, value)
    }
  }

  it('a refreshed set the store refuses is written again under the lock; the used refresh token is never sent again', async () => {
    const store = new FlakyStore()
    const lock = new InProcessLock()
    const manager = createManager({ client, store, lock, key: KEY })
    const errors: unknown[] = []
    manager.on('error', (error) => errors.push(error))
    const tokens = await login()
    await manager.setTokenSet(expired(tokens))
    server.control.clearRequests()

    store.failWrites = 3
    // Callers here get the new token at once, while the write is retried.
    const first = await manager.getAccessToken()
    expect(first).not.toBe(tokens.accessToken)
    expect(await manager.getAccessToken()).toBe(first)
    expect(errors).toEqual([expect.objectContaining({ code: 'STORE_ERROR' })])
    // A sibling sharing the lock waits for the write instead of replaying the spent token.
    const sibling = createManager({ client, store, lock, key: KEY })
    const siblings = sibling.getAccessToken()
    await clock.advance(50 + 100 + 200)
    expect(await siblings).toBe(first)
    expect(TokenSet.fromJSON(await store.get(KEY)).accessToken).toBe(first)
    expect(errors).toHaveLength(3)
    // And the session goes on: a forced refresh uses the rotated refresh token.
    const again = await manager.refresh()
    expect(again.accessToken).not.toBe(first)
    expect(refreshRequests().map((r) => r.status)).toEqual([200, 200])
  })

  it('while the store keeps failing, the kept set is handed out and no refresh token is reused', async () => {
    const store = new FlakyStore()
    const manager = createManager({ client, store, key: KEY })
    manager.on('error', () => {})
    await manager.setTokenSet(expired(await login()))
    server.control.clearRequests()
    store.failWrites = 100
    const first = await manager.getAccessToken()
    for (let i = 0; i < 3; i++) {
      await clock.advance(2_000)
      expect(await manager.getAccessToken()).toBe(first)
    }
    expect(refreshRequests().map((r) => r.status)).toEqual([200])
    store.failWrites = 0
    await clock.advance(2_000)
    expect(TokenSet.fromJSON(await store.get(KEY)).accessToken).toBe(first)
  })

  it('a logout in another context during a refresh is not undone by that refresh (shared lock)', async () => {
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const slow = gatedClient()
    const tabA = createManager({ client: slow, store, lock, key: KEY })
    const tabB = createManager({ client, store, lock, key: KEY })
    await tabA.setTokenSet(expired(await login()))
    const refreshing = settle(tabA.getAccessToken())
    await slow.answered
    const loggingOut = tabB.clear()
    slow.release()
    await refreshing
    await loggingOut
    expect(await store.get(KEY)).toBeUndefined()
    await expect(tabA.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
  })

  it('clear() during a refresh elsewhere resolves with the rotated set it deleted, the one to revoke', async () => {
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const slow = gatedClient()
    const tabA = createManager({ client: slow, store, lock, key: KEY })
    const tabB = createManager({ client, store, lock, key: KEY })
    const original = expired(await login())
    await tabA.setTokenSet(original)
    const refreshing = settle(tabA.getAccessToken())
    await slow.answered
    const loggingOut = tabB.clear()
    slow.release()
    await refreshing
    const deleted = await loggingOut
    expect(deleted?.refreshToken).toBeTypeOf('string')
    expect(deleted?.refreshToken).not.toBe(original.refreshToken)
    // It is the refresh token still good at the provider (the one read before is spent).
    await expect(client.refresh(deleted!)).resolves.toBeInstanceOf(TokenSet)
    expect(await tabB.clear()).toBeUndefined()
  })

  it('clear() reads the set it deletes past a local copy (the one a sibling just rotated)', async () => {
    const store = new CachingStore()
    const manager = createManager({ client, store, lock: new InProcessLock(), key: KEY })
    const spent = await login()
    const rotated = await client.refresh(spent)
    store.copies.set(KEY, spent.toJSON()) // the invalidation of the sibling's write not heard yet
    await store.set(KEY, rotated.toJSON())
    expect((await manager.clear())?.refreshToken).toBe(rotated.refreshToken)
  })

  it('a logout or a new login elsewhere during a refresh wins, even without a lock', async () => {
    const store = new MemoryStore()
    let slow = gatedClient()
    const tabA = createManager({
      client: { refresh: (set, o) => slow.refresh(set, o) },
      store,
      key: KEY,
    })
    const tabB = createManager({ client, store, key: KEY })
    await tabA.setTokenSet(expired(await login()))
    const loggedOut = settle(tabA.getAccessToken())
    await slow.answered
    await tabB.clear()
    slow.release()
    expect(await loggedOut).toMatchObject({ code: 'LOGIN_REQUIRED' })
    expect(await store.get(KEY)).toBeUndefined()

    slow = gatedClient()
    await tabA.setTokenSet(expired(await login()))
    const other = await login()
    const replaced = tabA.getAccessToken()
    await slow.answered
    await tabB.setTokenSet(other)
    slow.release()
    expect(await replaced).toBe(other.accessToken)
    expect(TokenSet.fromJSON(await store.get(KEY)).accessToken).toBe(other.accessToken)
  })
})

describe('TokenManager with tokens that live less than skewSec', () => {
  let shortLived: ReferenceServer
  let shortClient: Client
  beforeAll(async () => {
    // 4-second access tokens: far below the default 60 s skew.
    shortLived = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      accessTokenTtl: 4,
    })
    shortClient = await discover(shortLived.issuer, {
      clock,
      clientId: 'spa',
      redirectUri: 'http://127.0.0.1:4001/',
      scope: 'openid offline_access',
    })
  })
  afterAll(() => shortLived?.close())

  async function shortLogin(): Promise<TokenSet> {
    const { url, transaction } = await shortClient.createAuthorizationRequest({ prompt: 'consent' })
    const done = await completeLogin(url, { username: 'alice', password: 'wonderland' })
    return shortClient.handleAuthorizationResponse(done.url, transaction)
  }
  const refreshes = () =>
    shortLived.control.requests({ endpoint: 'token', grantType: 'refresh_token' })

  it('uses a fresh token for half its life instead of refreshing on every call', async () => {
    const manager = createManager({ client: shortClient, store: new MemoryStore(), key: KEY })
    const tokens = await shortLogin()
    expect(tokens.expiresAt! - tokens.issuedAt!).toBe(4)
    await manager.setTokenSet(tokens)
    shortLived.control.clearRequests()
    for (let i = 0; i < 5; i++) expect(await manager.getAccessToken()).toBe(tokens.accessToken)
    expect(refreshes()).toHaveLength(0)
    // Past half its life (whole seconds): one refresh, then the new token is used.
    await clock.advance(3_000)
    const next = await manager.getAccessToken()
    expect(next).not.toBe(tokens.accessToken)
    for (let i = 0; i < 5; i++) expect(await manager.getAccessToken()).toBe(next)
    expect(refreshes()).toHaveLength(1)
  })

  it('proactive refresh renews once per half-life, never in a loop', async () => {
    const manager = createManager({
      client: shortClient,
      store: new MemoryStore(),
      key: KEY,
      autoRefresh: true,
    })
    try {
      let refreshed = 0
      let next = deferred()
      manager.on('refreshed', () => {
        refreshed++
        next.resolve()
      })
      const first = await shortLogin()
      await manager.setTokenSet(first)
      shortLived.control.clearRequests()
      // Due at half the 4 s life (whole seconds), then 2 s or less after each refresh.
      const dueMs = (first.expiresAt! - 2) * 1000 - clock.now()
      await clock.advance(dueMs - 100)
      expect(refreshes()).toHaveLength(0)
      for (let round = 1; round <= 3; round++) {
        await clock.advance(round === 1 ? 100 : 2_000)
        await next.promise
        next = deferred()
        expect(refreshes()).toHaveLength(round)
      }
      expect(refreshed).toBe(3)
      await flush()
      expect(clock.pendingTimers).toBe(1)
    } finally {
      manager.close()
    }
  })

  it('a set nothing can renew is read once, not in a loop, while inside the skew window', async () => {
    const store = new CountingStore()
    const manager = createManager({
      client: shortClient,
      store,
      key: KEY,
      autoRefresh: true,
      jitterSec: 0,
    })
    try {
      const now = Math.floor(clock.now() / 1000)
      await manager.setTokenSet({
        accessToken: 'no-refresh',
        tokenType: 'Bearer',
        issuedAt: now - 3570,
        expiresAt: now + 30,
      })
      store.reads = 0
      await clock.advance(15_000)
      expect(store.reads).toBe(0)
      expect(await manager.getAccessToken()).toBe('no-refresh')
      // At expiry, the session ends (nothing can renew it), once.
      let ended = 0
      manager.on('expired', () => ended++)
      await clock.advance(15_000)
      expect(ended).toBe(1)
      expect(clock.pendingTimers).toBe(0)
    } finally {
      manager.close()
    }
  })
})

describe('TokenManager proactive timer in Node', () => {
  it('does not keep the process alive (the timer is unref’d)', async () => {
    const src = (file: string) => pathToFileURL(join(import.meta.dirname, '..', 'src', file)).href
    const script = `
      import { TokenManager } from '${src('token-manager.ts')}'
      import { MemoryStore } from '${src('memory-store.ts')}'
      const client = { refresh: async () => { throw new Error('not expected') } }
      const manager = new TokenManager({ client, store: new MemoryStore(), key: 'k', proactiveRefresh: true })
      await manager.setTokenSet({ accessToken: 'a', tokenType: 'Bearer', refreshToken: 'r',
        expiresAt: Math.floor(Date.now() / 1000) + 3600 })
      console.log('armed')
    `
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        resolve(null)
      }, 15_000)
      child.once('exit', (c) => {
        clearTimeout(timer)
        resolve(c)
      })
    })
    expect(out.trim()).toBe('armed')
    expect(code).toBe(0)
  }, 20_000)
})
