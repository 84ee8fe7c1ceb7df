/**
 * A fleet in one test process: members with their own Redis connections (as separate processes
 * would have) over one redis-server, one session, and time on one ManualClock.
 */
import {
  type Client,
  type Store,
  type StoreSetOptions,
  StoreError,
  TokenManager,
  TokenSet,
} from '@openrp/core'
import { completeLogin } from '@openrp/reference-server'
import type { ManualClock } from '@openrp/testkit'
import { RedisLock } from '../../src/redis-lock.ts'
import { RedisStore } from '../../src/redis-store.ts'

export const SESSION_KEY = 'user:alice'

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
