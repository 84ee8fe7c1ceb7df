/**
 * Refresh-token rotation: the new refresh token always replaces the old one in the store; a
 * sibling (another tab or process) that rotated first is recovered from by re-reading the
 * store, not by logging the user out; a refresh token the provider really rejects ends the
 * session once.
 */
import { describe, expect, it } from 'vitest'
import {
  type Client,
  MemoryStore,
  type TokenSet,
  TokenManager,
  type TokenSetJSON,
} from '../../src/index.ts'
import { authorize, refused, SESSION_KEY, useProvider } from './harness.ts'

const p = useProvider()

async function signedIn(): Promise<{ client: Client; store: MemoryStore; first: TokenSet }> {
  const client = await p.spa()
  const store = new MemoryStore()
  const { params, transaction } = await authorize(p, client)
  const first = await client.handleAuthorizationResponse(params, transaction)
  await store.set(SESSION_KEY, first.toJSON())
  p.server.control.clearRequests()
  return { client, store, first }
}

describe('rotation', () => {
  it('the new refresh token replaces the old one, which the provider no longer honours', async () => {
    const { client, store, first } = await signedIn()
    const manager = new TokenManager({ client, store, key: SESSION_KEY })
    const fresh = await manager.refresh()
    const stored = (await store.get(SESSION_KEY)) as TokenSetJSON
    expect(stored.refreshToken).toBe(fresh.refreshToken)
    expect(stored.refreshToken).not.toBe(first.refreshToken)
    expect(p.hits('token')).toBe(1)
  })

  it('50 concurrent callers of an expiring token cause one refresh', async () => {
    const { client, store, first } = await signedIn()
    // Issued an hour ago, 30 s left: due for renewal.
    const now = Math.floor(Date.now() / 1000)
    await store.set(SESSION_KEY, { ...first.toJSON(), issuedAt: now - 3570, expiresAt: now + 30 })
    const manager = new TokenManager({ client, store, key: SESSION_KEY, jitterSec: 0 })
    const tokens = await Promise.all(Array.from({ length: 50 }, () => manager.getAccessToken()))
    expect(new Set(tokens).size).toBe(1)
    expect(p.hits('token')).toBe(1)
  })
})

describe('a sibling rotated first', () => {
  it('invalid_grant for the old refresh token is recovered by re-reading the store', async () => {
    const { client, store, first } = await signedIn()
    // Tab B starts refreshing with the old token; tab A finishes its rotation before B's request.
    let entered!: () => void
    const bEntered = new Promise<void>((resolve) => {
      entered = resolve
    })
    let release!: () => void
    const aDone = new Promise<void>((resolve) => {
      release = resolve
    })
    const slowClient = {
      refresh: async (set: string | TokenSet) => {
        entered()
        await aDone
        return client.refresh(set)
      },
    }
    const a = new TokenManager({ client, store, key: SESSION_KEY })
    const b = new TokenManager({ client: slowClient, store, key: SESSION_KEY })
    const expired: unknown[] = []
    b.on('expired', (e) => expired.push(e))
    const bRefresh = b.refresh()
    await bEntered
    const fromA = await a.refresh()
    release()
    const fromB = await bRefresh
    expect(fromB.refreshToken).toBe(fromA.refreshToken)
    expect(fromB.refreshToken).not.toBe(first.refreshToken)
    expect(expired).toEqual([])
    expect(((await store.get(SESSION_KEY)) as TokenSetJSON).refreshToken).toBe(fromA.refreshToken)
    expect(p.hits('token')).toBe(2) // A's rotation and B's refused attempt; no loop
  })
})

describe('a refresh token the provider rejects', () => {
  it('ends the session once: expired emitted once, store cleared, no further requests', async () => {
    const { client, store, first } = await signedIn()
    await client.revoke(first.refreshToken!, 'refresh_token')
    p.server.control.clearRequests()
    const manager = new TokenManager({ client, store, key: SESSION_KEY })
    const expired: unknown[] = []
    manager.on('expired', (e) => expired.push(e))
    await refused(manager.refresh(), 'SESSION_EXPIRED')
    await refused(manager.getAccessToken(), 'SESSION_EXPIRED')
    expect(expired).toHaveLength(1)
    expect(await store.get(SESSION_KEY)).toBeUndefined()
    expect(p.hits('token')).toBe(1)
  })
})
