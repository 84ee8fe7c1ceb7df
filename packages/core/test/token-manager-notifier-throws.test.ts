/**
 * A notifier whose publish() throws after the rotated set was stored (e.g. a BroadcastChannel
 * the app closed meanwhile) must not turn the refresh into a failed store write.
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../src/memory-store.ts'
import { TokenManager } from '../src/token-manager.ts'
import { TokenSet } from '../src/token-set.ts'
import { useReferenceServer } from './helpers/reference.ts'
import { expired, login, refreshRequests, SPA_CLIENT } from './helpers/session.ts'

const h = useReferenceServer()

describe('a notifier that throws on publish', () => {
  it('leaves the refresh stored and handed out, with one refreshed event', async () => {
    const clock = new ManualClock(Date.now())
    const client = await h.client({
      clock,
      ...SPA_CLIENT,
    })
    const store = new MemoryStore()
    let closed = false
    const manager = new TokenManager({
      client,
      store,
      key: 'session',
      clock,
      notifier: {
        publish() {
          if (closed) throw new DOMException('BroadcastChannel is closed', 'InvalidStateError')
        },
        subscribe: () => () => {},
      },
    })
    await manager.setTokenSet(expired(await login(client), clock))
    closed = true
    const refreshed: TokenSet[] = []
    const errors: unknown[] = []
    manager.on('refreshed', (set) => refreshed.push(set))
    manager.on('error', (error) => errors.push(error))

    const token = await manager.getAccessToken()
    expect(refreshed).toHaveLength(1)
    expect(token).toBe(refreshed[0]!.accessToken)
    expect(TokenSet.fromJSON(await store.get('session')).accessToken).toBe(token)
    expect(refreshRequests(h.server)).toHaveLength(1)
    // The notifier's error is reported, once.
    expect(errors).toHaveLength(1)
    expect((errors[0] as DOMException).name).toBe('InvalidStateError')
  })
})
