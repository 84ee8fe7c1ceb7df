/**
 * `refresh()` renews now or fails: while the session backs off after a failed refresh, it
 * rejects with the remembered error (no request), instead of handing back the tokens it was
 * asked to replace as if they were new.
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../src/memory-store.ts'
import { TokenManager } from '../src/token-manager.ts'
import { TokenSet } from '../src/token-set.ts'
import { useReferenceServer } from './helpers/reference.ts'
import { login, refreshRequests, SPA_CLIENT } from './helpers/session.ts'

const h = useReferenceServer()

describe('refresh() while the session backs off', () => {
  it('rejects with the remembered error, without a request, then renews after the backoff', async () => {
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
      random: () => 0.5,
    })
    const tokens = await login(client)
    await manager.setTokenSet(tokens)
    h.server.control.setFaults({ http: { token: { status: 503, times: 1 } } })

    const failure = await manager.refresh().catch((error: unknown) => error)
    expect(failure).not.toBeInstanceOf(TokenSet)
    // Within the backoff (at most 1 s): the same error, no request, no stale tokens.
    const again = await manager.refresh().catch((error: unknown) => error)
    expect(again).toBe(failure)
    expect(refreshRequests(h.server)).toHaveLength(1)
    // The access token still in the store keeps being handed out meanwhile.
    expect(await manager.getAccessToken()).toBe(tokens.accessToken)

    await clock.advance(1_000)
    const fresh = await manager.refresh()
    expect(fresh.accessToken).not.toBe(tokens.accessToken)
    expect(refreshRequests(h.server).map((r) => r.status)).toEqual([503, 200])
  })
})
