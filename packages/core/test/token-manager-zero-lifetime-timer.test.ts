/**
 * A provider that answers every refresh with `expires_in: 0`: each new token is due at once.
 * The proactive timer must not renew it in a loop; it looks again at least a second later.
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../src/memory-store.ts'
import { TokenManager } from '../src/token-manager.ts'
import { useReferenceServer } from './helpers/reference.ts'
import { expired, login, SPA_CLIENT } from './helpers/session.ts'

const h = useReferenceServer()

function nextEvent() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

describe('proactive refresh of tokens that expire at once', () => {
  it('waits at least a second between two refreshes instead of re-arming the timer at 0 ms', async () => {
    const clock = new ManualClock(Date.now())
    /** Clock times at which refresh requests were sent. */
    const sent: number[] = []
    const client = await h.client({
      clock,
      ...SPA_CLIENT,
      fetch: (url: RequestInfo | URL, init?: RequestInit) => {
        if (String(init?.body).includes('grant_type=refresh_token')) sent.push(clock.now())
        return fetch(url, init)
      },
    })
    const manager = new TokenManager({
      client,
      store: new MemoryStore(),
      key: 'session',
      clock,
      autoRefresh: true,
    })
    try {
      const tokens = await login(client)
      h.server.control.setFaults({ tokenResponse: { expiresIn: 0 } })
      let refreshed = nextEvent()
      manager.on('refreshed', () => refreshed.resolve())

      await manager.setTokenSet(expired(tokens, clock))
      await clock.advance(0)
      await refreshed.promise
      expect(sent).toHaveLength(1)

      // The new token is already due; still, no request before a second has passed.
      refreshed = nextEvent()
      await clock.advance(999)
      expect(sent).toHaveLength(1)
      await clock.advance(1)
      await refreshed.promise
      expect(sent).toHaveLength(2)
      expect(sent[1]! - sent[0]!).toBeGreaterThanOrEqual(1_000)
    } finally {
      manager.close()
    }
  })
})
