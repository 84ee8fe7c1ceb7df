/**
 * Issue 14: a refresh whose answer comes after the caller's timeout. The provider has processed
 * it (the refresh token is spent), so the request must not be aborted: the caller's wait ends
 * with TIMEOUT, the answer is stored when it comes, and the next call uses it.
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { Client } from '../src/client.ts'
import { isOpenRpError } from '../src/errors.ts'
import { MemoryStore } from '../src/memory-store.ts'
import { TokenManager } from '../src/token-manager.ts'
import type { TokenSet } from '../src/token-set.ts'
import { useReferenceServer } from './helpers/reference.ts'
import { expired, login, refreshRequests, SPA_CLIENT } from './helpers/session.ts'

const h = useReferenceServer()

describe('a refresh answered after the caller gave up', () => {
  it('is not abandoned: the late answer is stored and used, the spent token never sent again', async () => {
    const clock = new ManualClock(Date.now())
    const options = {
      clock,
      ...SPA_CLIENT,
    }
    // The refreshing client's own timeout is far shorter than the provider's answer.
    const loginClient = await h.client(options)
    const client = new Client(loginClient.metadata, { ...options, timeoutMs: 100 })
    const store = new MemoryStore()
    const manager = new TokenManager({ client, store, key: 'session', clock, timeoutMs: 1_000 })
    const tokens = await login(loginClient)
    await manager.setTokenSet(expired(tokens, clock))
    h.server.control.clearRequests()
    // The provider processes the refresh (the refresh token is spent); its answer waits.
    const hold = h.server.control.hold({ endpoint: 'token', grantType: 'refresh_token', times: 1 })
    const refreshed = new Promise<TokenSet>((resolve) => manager.on('refreshed', resolve))

    const waiting = manager.getAccessToken().catch((error: unknown) => error)
    await hold.waitUntilHeld()
    await clock.advance(1_000)
    const error = await waiting
    expect(isOpenRpError(error, 'TIMEOUT')).toBe(true)

    // The request went on; its answer arrives and is stored.
    hold.release()
    const late = await refreshed
    expect(await manager.getAccessToken()).toBe(late.accessToken)
    expect(refreshRequests(h.server).map((r) => r.status)).toEqual([200])
    // The rotated refresh token works: the session was not lost.
    await manager.refresh()
    expect(refreshRequests(h.server).map((r) => r.status)).toEqual([200, 200])
  })
})
