/**
 * Issue 14: the store read that follows a refresh's answer fails. The answer holds the only
 * valid refresh token, so it must not be discarded: the read (and the write) are retried under
 * the lock, callers get the new token meanwhile, and nobody sends the spent one again.
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it } from 'vitest'
import { InProcessLock } from '../src/in-process-lock.ts'
import { TokenManager } from '../src/token-manager.ts'
import { TokenSet } from '../src/token-set.ts'
import { useReferenceServer } from './helpers/reference.ts'
import { expired, FlakyStore, login, refreshRequests, SPA_CLIENT } from './helpers/session.ts'

const h = useReferenceServer()
const KEY = 'session:alice'

describe('the store read after a refresh answer fails', () => {
  it('keeps the rotated set: retried under the lock, never the spent refresh token again', async () => {
    const clock = new ManualClock(Date.now())
    const client = await h.client({
      clock,
      ...SPA_CLIENT,
    })
    const store = new FlakyStore()
    const lock = new InProcessLock()
    // The store starts failing the moment the provider has answered.
    const failing = {
      refresh: async (set: string | TokenSet, options?: { timeoutMs?: number }) => {
        const next = await client.refresh(set, options)
        store.failReads = 1
        return next
      },
    }
    const manager = new TokenManager({ client: failing, store, lock, key: KEY, clock })
    const errors: unknown[] = []
    manager.on('error', (error) => errors.push(error))
    const tokens = await login(client)
    await manager.setTokenSet(expired(tokens, clock))
    h.server.control.clearRequests()

    const fresh = await manager.getAccessToken()
    expect(fresh).not.toBe(tokens.accessToken)
    expect(errors).toEqual([expect.objectContaining({ code: 'STORE_ERROR' })])
    // A sibling sharing the store and lock waits for the write, then uses the new set.
    const sibling = new TokenManager({ client, store, lock, key: KEY, clock })
    const siblings = sibling.getAccessToken()
    await clock.advance(50)
    expect(await siblings).toBe(fresh)
    expect(TokenSet.fromJSON(await store.get(KEY)).accessToken).toBe(fresh)
    expect(refreshRequests(h.server).map((r) => r.status)).toEqual([200])
    // The session goes on with the rotated refresh token.
    await sibling.refresh()
    expect(refreshRequests(h.server).map((r) => r.status)).toEqual([200, 200])
  })
})
