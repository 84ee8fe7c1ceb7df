/**
 * Issue 14: a ClientCredentialsProvider asked for many distinct scopes grew without bound
 * (+110 MiB at 50,000 keys) and never released expired tokens. Its cache now holds at most
 * `maxCachedTokens` (expired tokens go first, then the least recently fetched), and so does its
 * default store (its own MemoryStore, capped at `maxCachedTokens`); a store passed in keeps its
 * own policy.
 */
import { discover, MemoryStore, TokenSet } from '@openrp/core'
import { startReferenceServer } from '@openrp/reference-server'
import { ManualClock, fixedKeyPairs } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'

/**
 * A client that mints a new hour-long token per request, in memory: 50,000 token requests over
 * HTTP would take minutes (the cache, not the protocol, is under test; the reference-server
 * tests below cover the protocol). `minted()` counts the requests.
 */
function mintingClient(clock: ManualClock) {
  let count = 0
  const client = {
    clientCredentials: async () =>
      new TokenSet({
        accessToken: `token-${++count}`,
        tokenType: 'Bearer',
        expiresAt: Math.floor(clock.now() / 1000) + 3600,
      }),
  }
  return { client, minted: () => count }
}

describe('the cache of a ClientCredentialsProvider', () => {
  it('stays bounded over 50,000 distinct scopes', async () => {
    const clock = new ManualClock(Date.now())
    const { client, minted } = mintingClient(clock)
    const provider = new ClientCredentialsProvider({
      client,
      clock,
      // A store that keeps nothing for long: the provider's own map is what is measured.
      store: new MemoryStore({ now: () => clock.now() }),
    })
    let largest = 0
    for (let i = 0; i < 50_000; i++) {
      await provider.getToken({ scope: `scope:${i}` })
      largest = Math.max(largest, provider.cachedTokens)
    }
    expect(largest).toBe(1000)
    expect(minted()).toBe(50_000)
    expect(provider.cachedTokens).toBe(1000)
    // The most recent ones are the ones kept.
    await provider.getToken({ scope: 'scope:49999' })
    expect(minted()).toBe(50_000)
  }, 120_000)

  it('with its default store, holds at most maxCachedTokens tokens in all over 50,000 scopes', async () => {
    const clock = new ManualClock(Date.now())
    const { client, minted } = mintingClient(clock)
    // No store: the provider's own MemoryStore, which used to keep all 50,000 live tokens.
    const provider = new ClientCredentialsProvider({ client, clock })
    for (let i = 0; i < 50_000; i++) await provider.getToken({ scope: `scope:${i}` })
    expect(minted()).toBe(50_000)
    expect(provider.cachedTokens).toBe(1000)
    // Every scope once more, newest first: a token the provider still holds (in its map or its
    // store) comes without a request. Only the last 1000 fetched are held; none expired.
    for (let i = 49_999; i >= 0; i--) await provider.getToken({ scope: `scope:${i}` })
    const held = 50_000 - (minted() - 50_000)
    expect(held).toBe(1000)
    expect(provider.cachedTokens).toBe(1000)
  }, 120_000)

  it('evicts expired tokens first, and honours maxCachedTokens (reference server)', async () => {
    const server = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      accessTokenTtl: 60,
    })
    try {
      const clock = new ManualClock(Date.now())
      const client = await discover(server.issuer, {
        clock,
        clientId: 'm2m',
        clientSecret: 'm2m-secret',
      })
      const provider = new ClientCredentialsProvider({ client, clock, maxCachedTokens: 3 })
      // Six distinct keys the m2m registration allows.
      const combos = {
        a: { scope: 'api:read' },
        b: { scope: 'api:write' },
        c: { scope: 'api:read api:write' },
        d: { scope: 'api:read', audience: 'https://api.example.test' },
        e: { scope: 'api:write', audience: 'https://api.example.test' },
        f: { scope: 'api:read', audience: 'https://downstream.example.test' },
      }
      const api = (name: keyof typeof combos) => combos[name]
      const read = await provider.getToken(api('a'))
      await provider.getToken(api('b'))
      expect(provider.cachedTokens).toBe(2)
      // Both expire; a third and a fourth arrive: the expired ones go, not the new ones.
      await clock.advance(61_000)
      const c = await provider.getToken(api('c'))
      const d = await provider.getToken(api('d'))
      expect(provider.cachedTokens).toBe(2)
      await provider.getToken(api('e'))
      expect(provider.cachedTokens).toBe(3)
      // Over the cap with nothing expired: the least recently fetched (c) goes.
      await provider.getToken(api('f'))
      expect(provider.cachedTokens).toBe(3)
      expect(await provider.getToken(api('d'))).toBe(d)
      // c is gone from the default store too (capped at maxCachedTokens): a new token.
      expect((await provider.getToken(api('c'))).accessToken).not.toBe(c.accessToken)
      const again = await provider.getToken(api('a'))
      expect(again.accessToken).not.toBe(read.accessToken)
      expect(provider.cachedTokens).toBe(3)
      expect(() => new ClientCredentialsProvider({ client, maxCachedTokens: 0 })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
    } finally {
      await server.close()
    }
  })

  it('a store passed in keeps its own policy; the default store is capped (reference server)', async () => {
    const server = await startReferenceServer({ port: 0, accessTokenTtl: 600 })
    try {
      const clock = new ManualClock(Date.now())
      const client = await discover(server.issuer, {
        clock,
        clientId: 'm2m',
        clientSecret: 'm2m-secret',
      })
      const read = { scope: 'api:read' }
      const write = { scope: 'api:write' }
      // An unlimited MemoryStore of the caller's: the token evicted from the map is still there.
      const shared = new MemoryStore({ now: () => clock.now() })
      const withStore = new ClientCredentialsProvider({
        client,
        clock,
        maxCachedTokens: 1,
        store: shared,
      })
      const first = await withStore.getToken(read)
      await withStore.getToken(write)
      expect(withStore.cachedTokens).toBe(1)
      expect(shared.size).toBe(2)
      expect((await withStore.getToken(read)).accessToken).toBe(first.accessToken)
      // The default store holds one token too: the evicted one is requested again.
      const own = new ClientCredentialsProvider({ client, clock, maxCachedTokens: 1 })
      const mine = await own.getToken(read)
      await own.getToken(write)
      const again = await own.getToken(read)
      expect(again.accessToken).not.toBe(mine.accessToken)
      expect(again.isExpired(0, clock.now() / 1000)).toBe(false)
    } finally {
      await server.close()
    }
  })
})
