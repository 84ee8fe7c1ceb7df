// TabSync on the real BroadcastChannel (Node implements the same API as browsers); the
// multi-tab behaviour in Chromium is covered by the Playwright suites.
import { describe, expect, it } from 'vitest'
import { TabSync } from '../src/tab-sync.ts'
import { MemoryStore, type TokenChangeMessage, TokenManager, type TokenSet } from '@openrp/core'

const tick = () => new Promise((r) => setTimeout(r, 50))

describe('TabSync', () => {
  it('delivers messages to the other listeners of the same name, not to the sender', async () => {
    const name = `test-${Math.random()}`
    const a = new TabSync(name)
    const b = new TabSync(name)
    const c = new TabSync(`${name}-other`)
    const got: Record<string, TokenChangeMessage[]> = { a: [], b: [], c: [] }
    a.subscribe((m) => got.a!.push(m))
    b.subscribe((m) => got.b!.push(m))
    c.subscribe((m) => got.c!.push(m))
    a.publish({ type: 'refreshed' })
    a.publish({ type: 'logout' })
    await tick()
    expect(got.b).toEqual([{ type: 'refreshed' }, { type: 'logout' }])
    expect(got.a).toEqual([])
    expect(got.c).toEqual([])
    for (const s of [a, b, c]) s.close()
  })

  it('ignores malformed messages and stops after unsubscribe / close', async () => {
    const name = `test-${Math.random()}`
    const sync = new TabSync(name)
    const got: TokenChangeMessage[] = []
    const unsubscribe = sync.subscribe((m) => got.push(m))
    const raw = new BroadcastChannel(name)
    raw.postMessage({ type: 'steal-tokens' })
    raw.postMessage('login')
    raw.postMessage({ type: 'login', accessToken: 'not forwarded' })
    await tick()
    expect(got).toEqual([{ type: 'login' }])
    unsubscribe()
    raw.postMessage({ type: 'logout' })
    await tick()
    expect(got).toHaveLength(1)
    sync.close()
    raw.close()
  })
})

describe('TabSync as a TokenManager notifier', () => {
  it('tells the other tab of a new session, and of logout', async () => {
    const name = `test-${Math.random()}`
    const store = new MemoryStore() // stands for the IndexedDB both tabs see
    const client = {
      refresh: async (): Promise<TokenSet> => {
        throw new Error('no refresh expected')
      },
    }
    const tabA = new TabSync(name)
    const tabB = new TabSync(name)
    const a = new TokenManager({ client, store, key: 's', notifier: tabA })
    const b = new TokenManager({ client, store, key: 's', notifier: tabB })
    const seenByB: string[] = []
    b.on('refreshed', (set) => seenByB.push(set.accessToken))
    const messagesToB: string[] = []
    tabB.subscribe((m) => messagesToB.push(m.type))

    await a.setTokenSet({ accessToken: 'at-1', tokenType: 'Bearer', expiresAt: 4_000_000_000 })
    await tick()
    expect(seenByB).toEqual(['at-1'])
    expect(await b.getAccessToken()).toBe('at-1')

    await a.clear()
    await tick()
    expect(messagesToB).toEqual(['login', 'logout'])
    await expect(b.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
    for (const x of [a, b]) x.close()
    for (const x of [tabA, tabB]) x.close()
  })
})
