/**
 * Regression: the pause after a failed refresh honoured any `Retry-After`, so a provider (or a
 * proxy in front of it) answering `Retry-After: 31536000` stopped a session, and through the
 * shared failure record a whole fleet, from refreshing for a year. The pause is now at most
 * MAX_RETRY_AFTER_MS (1 hour); the error still tells what the provider asked.
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../src/memory-store.ts'
import { MAX_RETRY_AFTER_MS } from '../src/refresh-coordinator.ts'
import { TokenManager } from '../src/token-manager.ts'
import { useReferenceServer } from './helpers/reference.ts'
import { expired, login, refreshRequests, SPA_CLIENT } from './helpers/session.ts'

/** Time of the client, the managers and the provider: it moves only when the test moves it. */
const clock = new ManualClock(Date.now())
const h = useReferenceServer({ clock })

describe('a Retry-After of a year', () => {
  it('pauses the refreshes of every manager on the store for an hour, not a year', async () => {
    const client = await h.client({ clock, ...SPA_CLIENT })
    const store = new MemoryStore({ now: () => clock.now() })
    const options = { client, store, storageKey: 'session', clock, random: () => 0 }
    const manager = new TokenManager(options)
    // Another member of the fleet: it learns of the failure through the store.
    const sibling = new TokenManager(options)
    await manager.setTokenSet(expired(await login(client), clock))
    h.server.control.setFaults({
      http: { token: { status: 503, retryAfter: '31536000', times: 1 } },
    })

    const failure = await manager.getAccessToken().catch((error: unknown) => error)
    expect(failure).toMatchObject({
      code: 'OAUTH_ERROR',
      status: 503,
      retryAfterMs: 31_536_000_000,
    })
    await clock.advance(MAX_RETRY_AFTER_MS - 1)
    await expect(manager.getAccessToken()).rejects.toMatchObject({ status: 503 })
    await expect(sibling.getAccessToken()).rejects.toMatchObject({ status: 503 })
    expect(refreshRequests(h.server)).toHaveLength(1)

    await clock.advance(1)
    const token = await sibling.getAccessToken()
    expect(await manager.getAccessToken()).toBe(token)
    expect(refreshRequests(h.server).map((r) => r.status)).toEqual([503, 200])
  })
})
