// TabSync on the real BroadcastChannel (Node implements the same API as browsers); the
// multi-tab behaviour in Chromium is covered by the Playwright suites. Tests wait for the
// messages themselves (a listener resolves a promise), never for a fixed time.
import { MemoryStore, type TokenChangeMessage, TokenManager, type TokenSet } from '@openrp/core'
import { describe, expect, it } from 'vitest'
import { TabSync } from '../src/tab-sync.ts'

/** Collects what `sync` delivers; `next(n)` resolves once `n` messages have arrived in all. */
function listen(sync: TabSync) {
  const got: TokenChangeMessage['type'][] = []
  const waiters: Array<{ count: number; resolve: () => void }> = []
  const unsubscribe = sync.subscribe((message) => {
    got.push(message.type)
    for (const waiter of waiters.filter((w) => got.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve()
    }
  })
  const next = (count: number) =>
    got.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ count, resolve }))
  return { got, next, unsubscribe }
}

describe('TabSync', () => {
  it('delivers messages to the other listeners of the same name, not to the sender', async () => {
    const name = `test-${Math.random()}`
    const a = new TabSync(name)
    const b = new TabSync(name)
    const c = new TabSync(`${name}-other`)
    const [atA, atB, atC] = [listen(a), listen(b), listen(c)]
    a.publish({ type: 'refreshed' })
    a.publish({ type: 'logout' })
    await atB.next(2)
    expect(atB.got).toEqual(['refreshed', 'logout'])
    // Markers sent after a's messages: a hears b's, c hears its own channel's. Whatever a or c
    // got of a's messages would have come before them.
    const otherSender = new TabSync(`${name}-other`)
    b.publish({ type: 'expired' })
    otherSender.publish({ type: 'login' })
    await Promise.all([atA.next(1), atC.next(1)])
    expect(atA.got).toEqual(['expired'])
    expect(atC.got).toEqual(['login'])
    for (const s of [a, b, c, otherSender]) s.close()
  })

  it('ignores malformed messages and stops after unsubscribe / close', async () => {
    const name = `test-${Math.random()}`
    const sync = new TabSync(name)
    const first = listen(sync)
    const probe = listen(sync)
    const raw = new BroadcastChannel(name)
    raw.postMessage({ type: 'steal-tokens' })
    raw.postMessage('login')
    raw.postMessage({ type: 'login', accessToken: 'not forwarded' })
    raw.postMessage({ type: 'refreshed' }) // one sender's messages arrive in order
    await first.next(2)
    expect(first.got).toEqual(['login', 'refreshed'])
    first.unsubscribe()
    raw.postMessage({ type: 'logout' })
    await probe.next(3)
    expect(probe.got).toEqual(['login', 'refreshed', 'logout'])
    expect(first.got).toHaveLength(2)
    sync.close()
    raw.postMessage({ type: 'expired' })
    // A channel opened after close() hears the marker; the closed one hears nothing.
    const reopened = new TabSync(name)
    const after = listen(reopened)
    raw.postMessage({ type: 'login' })
    await after.next(1)
    expect(probe.got).toHaveLength(3)
    reopened.close()
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
    const refreshedAtB = new Promise<void>((resolve) => {
      b.on('refreshed', (set) => {
        seenByB.push(set.accessToken)
        resolve()
      })
    })
    const toB = listen(tabB)

    await a.setTokenSet({ accessToken: 'at-1', tokenType: 'Bearer', expiresAt: 4_000_000_000 })
    await refreshedAtB
    expect(seenByB).toEqual(['at-1'])
    expect(await b.getAccessToken()).toBe('at-1')

    await a.clear()
    await toB.next(2)
    expect(toB.got).toEqual(['login', 'logout'])
    await expect(b.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
    for (const x of [a, b]) x.close()
    for (const x of [tabA, tabB]) x.close()
  })
})
