/**
 * `refresh()` called while a refresh is under way joins it. Like every other caller, it waits
 * at most `timeoutMs`: the request goes on (up to `answerTimeoutMs`), the caller gets TIMEOUT.
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { isOpenRpError } from '../src/errors.ts'
import { MemoryStore } from '../src/memory-store.ts'
import { TokenManager } from '../src/token-manager.ts'
import type { TokenSet } from '../src/token-set.ts'
import { useReferenceServer } from './helpers/reference.ts'
import { expired, login, refreshRequests, SPA_CLIENT } from './helpers/session.ts'

const h = useReferenceServer()

describe('refresh() while a refresh is under way', () => {
  it('gets TIMEOUT after timeoutMs, not the answer whenever it comes', async () => {
    const clock = new ManualClock(Date.now())
    const client = await h.client({
      clock,
      ...SPA_CLIENT,
    })
    const manager = new TokenManager({
      client,
      store: new MemoryStore(),
      key: 'session',
      clock,
      timeoutMs: 1_000,
    })
    await manager.setTokenSet(expired(await login(client), clock))
    const errors: unknown[] = []
    manager.on('error', (error) => errors.push(error))
    const hold = h.server.control.hold({ endpoint: 'token', grantType: 'refresh_token', times: 1 })
    try {
      const first = manager.getAccessToken().catch((error: unknown) => error)
      await hold.waitUntilHeld()
      let outcome: unknown = 'pending'
      const joined = manager.refresh().then(
        (set) => set,
        (error: unknown) => error,
      )
      joined.then((value) => {
        outcome = value
      })
      await clock.advance(1_000)
      expect(isOpenRpError(await first, 'TIMEOUT')).toBe(true)
      expect(isOpenRpError(outcome, 'TIMEOUT')).toBe(true)
      // One wait that ran out, shared by both callers: one error event.
      expect(errors).toHaveLength(1)
    } finally {
      hold.release()
    }
    // The request went on and its answer was stored: one refresh in all.
    const refreshed = new Promise<TokenSet>((resolve) => manager.on('refreshed', resolve))
    const late = await refreshed
    expect(await manager.getAccessToken()).toBe(late.accessToken)
    expect(refreshRequests(h.server)).toHaveLength(1)
  })
})
