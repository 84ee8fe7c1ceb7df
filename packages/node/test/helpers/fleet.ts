/**
 * A fleet in one test process: members with their own Redis connections (as separate processes
 * would have) over one redis-server, one session, and time on one ManualClock.
 */
import {
  type Client,
  discover,
  type Store,
  type StoreSetOptions,
  StoreError,
  TokenManager,
  TokenSet,
} from '@openrp/core'
import { completeLogin, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { fixedKeyPairs, type ManualClock, type RedisServer, startRedis } from '@openrp/testkit'
import { afterAll, beforeAll } from 'vitest'
import { RedisLock } from '../../src/redis-lock.ts'
import { RedisStore } from '../../src/redis-store.ts'

export const SESSION_KEY = 'user:alice'

/** The access-token lifetime {@link useClientCredentialsFleet}'s provider gives (an hour). */
export const CC_TOKEN_TTL_SEC = 3600

/** What a client-credentials fleet test shares; filled in before the file's tests run. */
export interface ClientCredentialsFleet {
  redis: RedisServer
  server: ReferenceServer
  /** The `m2m` client, discovered with the test's clock. */
  client: Client
  /** The client-credentials requests the provider has seen. */
  tokenRequests(): ReturnType<ReferenceServer['control']['requests']>
}

/**
 * A real redis-server and the reference server (tokens valid {@link CC_TOKEN_TTL_SEC}) for a
 * file's client-credentials fleet tests, started before its tests and stopped after them, with
 * the `m2m` client discovered on `clock` (`timeoutMs`: the client's own deadline, for tests that
 * hold a request on the wire).
 */
export function useClientCredentialsFleet(
  clock: ManualClock,
  options: { timeoutMs?: number } = {},
): ClientCredentialsFleet {
  const fleet = {
    tokenRequests: () =>
      fleet.server.control.requests({ endpoint: 'token', grantType: 'client_credentials' }),
  } as ClientCredentialsFleet
  beforeAll(async () => {
    fleet.redis = await startRedis()
    fleet.server = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      accessTokenTtl: CC_TOKEN_TTL_SEC,
    })
    fleet.client = await discover(fleet.server.issuer, {
      clock,
      clientId: 'm2m',
      clientSecret: 'm2m-secret',
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    })
  })
  afterAll(async () => {
    await fleet.server?.close()
    await fleet.redis?.stop()
  })
  return fleet
}

/** A store that fails the next `failWrites` writes of `key` with STORE_ERROR. */
export class WriteFailingStore implements Store {
  failWrites = 0
  constructor(
    readonly inner: Store,
    readonly key: string,
  ) {}
  get<T>(key: string): Promise<T | undefined> {
    return this.inner.get<T>(key)
  }
  async set(key: string, value: unknown, options?: StoreSetOptions): Promise<void> {
    if (key === this.key && this.failWrites > 0) {
      this.failWrites--
      throw new StoreError('OOM command not allowed when used memory > maxmemory')
    }
    return this.inner.set(key, value, options)
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key)
  }
}

export interface Member {
  store: RedisStore
  lock: RedisLock
  close(): Promise<void>
}

/**
 * One member's RedisStore and RedisLock, on their own connections; the lock's waits and
 * renewals on `clock` when given.
 */
export function member(redisUrl: string, prefix: string, clock?: ManualClock): Member {
  const store = new RedisStore({ url: redisUrl, prefix: `${prefix}:` })
  const lock = new RedisLock({ url: redisUrl, prefix: `${prefix}:lock:`, clock })
  return {
    store,
    lock,
    close: async () => {
      await store.close()
      await lock.close()
    },
  }
}

/** A real login as alice, with an access token that expired ten seconds ago by `clock`. */
export async function expiredSession(client: Client, clock: ManualClock): Promise<TokenSet> {
  const { url, transaction } = await client.createAuthorizationRequest({ prompt: 'consent' })
  const done = await completeLogin(url, { username: 'alice', password: 'wonderland' })
  const tokens = await client.handleAuthorizationResponse(done.url, transaction)
  return new TokenSet({ ...tokens.toJSON(), expiresAt: Math.floor(clock.now() / 1000) - 10 })
}

/** Advances `clock` by `stepMs` until `done()` holds (I/O gets to run between steps). */
export async function advanceUntil(
  clock: ManualClock,
  done: () => boolean,
  stepMs = 50,
  maxSteps = 2_000,
): Promise<void> {
  for (let i = 0; i < maxSteps && !done(); i++) await clock.advance(stepMs)
  if (!done()) throw new Error('the condition never held')
}

/** A small deterministic random source per member (jitter differs, runs repeat). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0
    return state / 2 ** 32
  }
}

export { TokenManager }
