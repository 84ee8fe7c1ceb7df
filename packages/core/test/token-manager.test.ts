import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { completeLogin, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Client, discover } from '../src/client.ts'
import { isOpenRpError, type OpenRpError, StoreError } from '../src/errors.ts'
import { InProcessLock } from '../src/in-process-lock.ts'
import { MemoryStore } from '../src/memory-store.ts'
import type { Lock } from '../src/store.ts'
import { TokenManager, type VisibilityHook } from '../src/token-manager.ts'
import { TokenSet } from '../src/token-set.ts'

let server: ReferenceServer
let client: Client

beforeAll(async () => {
  server = await startReferenceServer({ port: 0 })
  client = await discover(server.issuer, {
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

/** A real login through the server's pages: a token set with a refresh token. */
async function login(): Promise<TokenSet> {
  // offline_access needs prompt=consent (OpenID Connect Core §11).
  const { url, transaction } = await client.createAuthorizationRequest({ prompt: 'consent' })
  const done = await completeLogin(url, { username: 'alice', password: 'wonderland' })
  const tokens = await client.handleAuthorizationResponse(done.url, transaction)
  expect(tokens.refreshToken).toBeTypeOf('string')
  return tokens
}

/** The same tokens, but with an access token that expired ten seconds ago. */
function expired(tokens: TokenSet): TokenSet {
  return new TokenSet({ ...tokens.toJSON(), expiresAt: Math.floor(Date.now() / 1000) - 10 })
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

describe('TokenManager', () => {
  it('hot path: a valid token costs one store read and no request', async () => {
    const tokens = await login()
    const store = new CountingStore()
    const manager = new TokenManager({ client, store, key: KEY })
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
    const manager = new TokenManager({ client, store, key: KEY })
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
    const manager = new TokenManager({ client, store, key: KEY })
    expect(await manager.getAccessToken()).toBe(mine.accessToken)
    Object.assign(value, theirs.toJSON())
    expect(await manager.getAccessToken()).toBe(theirs.accessToken)
  })

  it('the token set it hands out is frozen: a caller cannot change what others get', async () => {
    const tokens = await login()
    const manager = new TokenManager({ client, store: new MemoryStore(), key: KEY })
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
    const manager = new TokenManager({ client, store, key: KEY })
    await manager.setTokenSet(tokens)
    expect(await manager.getAccessToken()).toBe(tokens.accessToken)
    await store.set(KEY, { accessToken: 42 })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'STORE_ERROR' })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'STORE_ERROR' })
  })

  it('1,000 concurrent callers on an expired token: exactly 1 refresh request', async () => {
    const tokens = await login()
    const store = new MemoryStore()
    const manager = new TokenManager({ client, store, key: KEY })
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
    const managers = Array.from(
      { length: 5 },
      () => new TokenManager({ client, store, lock, key: KEY }),
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
    const manager = new TokenManager({ client, store, lock: legacy, key: KEY })
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
    const manager = new TokenManager({ client, store, lock, key: KEY })
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
    const manager = new TokenManager({ client: racingClient, store, key: KEY })
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
    const manager = new TokenManager({ client, store, key: KEY })
    await manager.setTokenSet(expired(new TokenSet({ ...tokens.toJSON(), refreshToken: 'bogus' })))
    const events: OpenRpError[] = []
    manager.on('expired', (error) => events.push(error))
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

    // A new login starts a new session.
    const again = await login()
    await manager.setTokenSet(again)
    expect(await manager.getAccessToken()).toBe(again.accessToken)
  })

  it('a provider 5xx emits error and rejects, keeping the stored tokens; a later call recovers', async () => {
    const tokens = expired(await login())
    const store = new MemoryStore()
    const manager = new TokenManager({ client, store, key: KEY })
    await manager.setTokenSet(tokens)
    const errors: unknown[] = []
    manager.on('error', (error) => errors.push(error))
    let expiredEvents = 0
    manager.on('expired', () => expiredEvents++)
    server.control.setFaults({ http: { token: { status: 503 } } })

    const failure = await settle(manager.getAccessToken())
    expect(isOpenRpError(failure)).toBe(true)
    expect((failure as OpenRpError).code).not.toBe('SESSION_EXPIRED')
    expect(errors).toEqual([failure])
    expect(expiredEvents).toBe(0)
    expect(TokenSet.fromJSON(await store.get(KEY)).refreshToken).toBe(tokens.refreshToken)

    server.control.resetFaults()
    const fresh = await manager.getAccessToken()
    expect(fresh).not.toBe(tokens.accessToken)
  })

  it('rejects with LOGIN_REQUIRED when nothing is stored, and STORE_ERROR on a malformed set', async () => {
    const store = new MemoryStore()
    const manager = new TokenManager({ client, store, key: KEY })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
    await store.set(KEY, { accessToken: 42 })
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'STORE_ERROR' })
    expect(await store.get(KEY)).toEqual({ accessToken: 42 })
  })

  it('clear() logs out: the next call needs a login', async () => {
    const manager = new TokenManager({ client, store: new MemoryStore(), key: KEY })
    await manager.setTokenSet(await login())
    await manager.clear()
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
  })

  it('refresh() renews a still-valid set, once for concurrent callers', async () => {
    const tokens = await login()
    const manager = new TokenManager({ client, store: new MemoryStore(), key: KEY })
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
    const manager = new TokenManager({ client, store: new MemoryStore(), key: KEY })
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
    const manager = new TokenManager({
      client,
      store,
      key: KEY,
      skewSec: 60,
      jitterSec: 0,
      proactiveRefresh: true,
      visibility,
    })
    try {
      const refreshed = new Promise<TokenSet>((resolve) => manager.on('refreshed', resolve))
      server.control.clearRequests()
      // Enters the skew window in about 300 ms.
      const soon = Math.floor(Date.now() / 1000) + 60
      await manager.setTokenSet(
        new TokenSet({ ...tokens.toJSON(), issuedAt: soon - 3600, expiresAt: soon }),
      )
      await new Promise((r) => setTimeout(r, 1300))
      expect(refreshRequests()).toHaveLength(0)

      visible = true
      for (const listener of listeners) listener(true)
      const fresh = await refreshed
      expect(refreshRequests()).toHaveLength(1)
      expect(TokenSet.fromJSON(await store.get(KEY)).accessToken).toBe(fresh.accessToken)
    } finally {
      manager.close()
    }
    expect(listeners.size).toBe(0)
  })

  it('rejects bad options with INVALID_ARGUMENT', () => {
    const store = new MemoryStore()
    const cases: unknown[] = [
      { client: {}, store, key: KEY },
      { client, store, key: '' },
      { client, key: KEY },
      { client, store, key: KEY, skewSec: -1 },
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

  it('a refreshed set the store refuses is kept, never lost: the used refresh token is not sent again', async () => {
    const store = new FlakyStore()
    const manager = new TokenManager({ client, store, key: KEY })
    const errors: unknown[] = []
    manager.on('error', (error) => errors.push(error))
    const tokens = await login()
    await manager.setTokenSet(expired(tokens))
    server.control.clearRequests()

    store.failWrites = 1
    const first = await manager.getAccessToken()
    expect(first).not.toBe(tokens.accessToken)
    expect(errors).toEqual([expect.objectContaining({ code: 'STORE_ERROR' })])
    // The store still holds the old set; the next call writes the kept one instead of refreshing.
    expect(await manager.getAccessToken()).toBe(first)
    expect(TokenSet.fromJSON(await store.get(KEY)).accessToken).toBe(first)
    // And the session goes on: a forced refresh uses the rotated refresh token.
    const again = await manager.refresh()
    expect(again.accessToken).not.toBe(first)
    expect(refreshRequests().map((r) => r.status)).toEqual([200, 200])
  })

  it('while the store keeps failing, the kept set is handed out and no refresh token is reused', async () => {
    const store = new FlakyStore()
    const manager = new TokenManager({ client, store, key: KEY })
    manager.on('error', () => {})
    await manager.setTokenSet(expired(await login()))
    server.control.clearRequests()
    store.failWrites = 100
    const first = await manager.getAccessToken()
    for (let i = 0; i < 3; i++) expect(await manager.getAccessToken()).toBe(first)
    expect(refreshRequests().map((r) => r.status)).toEqual([200])
  })

  it('a logout in another context during a refresh is not undone by that refresh (shared lock)', async () => {
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const tabA = new TokenManager({ client, store, lock, key: KEY })
    const tabB = new TokenManager({ client, store, lock, key: KEY })
    await tabA.setTokenSet(expired(await login()))
    server.control.setFaults({ http: { token: { delayMs: 600 } } })
    const refreshing = settle(tabA.getAccessToken())
    await new Promise((r) => setTimeout(r, 100))
    await tabB.clear()
    await refreshing
    expect(await store.get(KEY)).toBeUndefined()
    await expect(tabA.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
  })

  it('a logout or a new login elsewhere during a refresh wins, even without a lock', async () => {
    const store = new MemoryStore()
    const tabA = new TokenManager({ client, store, key: KEY })
    const tabB = new TokenManager({ client, store, key: KEY })
    await tabA.setTokenSet(expired(await login()))
    server.control.setFaults({ http: { token: { delayMs: 600 } } })
    const loggedOut = settle(tabA.getAccessToken())
    await new Promise((r) => setTimeout(r, 100))
    await tabB.clear()
    expect(await loggedOut).toMatchObject({ code: 'LOGIN_REQUIRED' })
    expect(await store.get(KEY)).toBeUndefined()

    await tabA.setTokenSet(expired(await login()))
    const other = await login()
    const replaced = tabA.getAccessToken()
    await new Promise((r) => setTimeout(r, 100))
    await tabB.setTokenSet(other)
    expect(await replaced).toBe(other.accessToken)
    expect(TokenSet.fromJSON(await store.get(KEY)).accessToken).toBe(other.accessToken)
  })
})

describe('TokenManager with tokens that live less than skewSec', () => {
  let shortLived: ReferenceServer
  let shortClient: Client
  beforeAll(async () => {
    // 4-second access tokens: far below the default 60 s skew.
    shortLived = await startReferenceServer({ port: 0, accessTokenTtl: 4 })
    shortClient = await discover(shortLived.issuer, {
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
    const manager = new TokenManager({ client: shortClient, store: new MemoryStore(), key: KEY })
    const tokens = await shortLogin()
    expect(tokens.expiresAt! - tokens.issuedAt!).toBe(4)
    await manager.setTokenSet(tokens)
    shortLived.control.clearRequests()
    for (let i = 0; i < 5; i++) expect(await manager.getAccessToken()).toBe(tokens.accessToken)
    expect(refreshes()).toHaveLength(0)
    // Past half its life: one refresh, then the new token is used.
    await new Promise((r) => setTimeout(r, 2100))
    const next = await manager.getAccessToken()
    expect(next).not.toBe(tokens.accessToken)
    for (let i = 0; i < 5; i++) expect(await manager.getAccessToken()).toBe(next)
    expect(refreshes()).toHaveLength(1)
  })

  it('proactive refresh renews about once per half-life, never in a loop', async () => {
    const manager = new TokenManager({
      client: shortClient,
      store: new MemoryStore(),
      key: KEY,
      proactiveRefresh: true,
    })
    try {
      await manager.setTokenSet(await shortLogin())
      shortLived.control.clearRequests()
      await new Promise((r) => setTimeout(r, 4500))
      // Due at 2 s and again about 2 s after each refresh: two, perhaps three, in 4.5 s.
      expect(refreshes().length).toBeGreaterThanOrEqual(1)
      expect(refreshes().length).toBeLessThanOrEqual(3)
    } finally {
      manager.close()
    }
  }, 10_000)

  it('a set nothing can renew is read once, not in a loop, while inside the skew window', async () => {
    const store = new CountingStore()
    const manager = new TokenManager({
      client: shortClient,
      store,
      key: KEY,
      proactiveRefresh: true,
      jitterSec: 0,
    })
    try {
      const now = Math.floor(Date.now() / 1000)
      await manager.setTokenSet({
        accessToken: 'no-refresh',
        tokenType: 'Bearer',
        issuedAt: now - 3570,
        expiresAt: now + 30,
      })
      store.reads = 0
      await new Promise((r) => setTimeout(r, 1500))
      expect(store.reads).toBeLessThanOrEqual(1)
      expect(await manager.getAccessToken()).toBe('no-refresh')
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
