/**
 * Sessions for the refresh-fault tests: a real login at the reference server, a client and
 * managers on one ManualClock, and stores that fail on demand.
 */
import { completeLogin, type ReferenceServer } from '@openrp/reference-server'
import type { ManualClock } from '@openrp/testkit'
import { expect } from 'vitest'
import type { Client } from '../../src/client.ts'
import { StoreError } from '../../src/errors.ts'
import { MemoryStore } from '../../src/memory-store.ts'
import type { StoreSetOptions } from '../../src/store.ts'
import { TokenSet } from '../../src/token-set.ts'

/** The client of these tests: the public SPA client, code + PKCE, with offline_access. */
export const SPA_CLIENT = {
  clientId: 'spa',
  redirectUri: 'http://127.0.0.1:4001/',
  scope: 'openid offline_access',
} as const

/** A real login as alice: a token set with a refresh token. */
export async function login(client: Client): Promise<TokenSet> {
  const { url, transaction } = await client.createAuthorizationRequest({ prompt: 'consent' })
  const done = await completeLogin(url, { username: 'alice', password: 'wonderland' })
  const tokens = await client.handleAuthorizationResponse(done.url, transaction)
  expect(tokens.refreshToken).toBeTypeOf('string')
  return tokens
}

/** The same tokens with an access token that expired ten seconds ago by `clock`. */
export function expired(tokens: TokenSet, clock: ManualClock): TokenSet {
  return new TokenSet({ ...tokens.toJSON(), expiresAt: Math.floor(clock.now() / 1000) - 10 })
}

/** Refresh requests that reached the server, oldest first. */
export function refreshRequests(server: ReferenceServer) {
  return server.control.requests({ endpoint: 'token', grantType: 'refresh_token' })
}

/** A MemoryStore whose next `failReads` reads and `failWrites` writes throw STORE_ERROR. */
export class FlakyStore extends MemoryStore {
  failReads = 0
  failWrites = 0
  override async get<T>(key: string): Promise<T | undefined> {
    if (this.failReads > 0) {
      this.failReads--
      throw new StoreError('connection reset')
    }
    return super.get<T>(key)
  }
  override async set(key: string, value: unknown, options?: StoreSetOptions): Promise<void> {
    if (this.failWrites > 0) {
      this.failWrites--
      throw new StoreError('out of memory')
    }
    return super.set(key, value, options)
  }
}

/**
 * A MemoryStore with local copies (as RedisStore keeps) that miss a sibling's write until told:
 * `get` answers from `copies` when it has the key, unless asked for a fresh read.
 */
export class CachingStore extends MemoryStore {
  readonly copies = new Map<string, unknown>()
  override async get<T>(key: string, options?: { fresh?: boolean }): Promise<T | undefined> {
    if (!options?.fresh && this.copies.has(key)) return this.copies.get(key) as T | undefined
    return super.get<T>(key)
  }
}
