/**
 * DPoP (RFC 9449) under a demanding provider: a nonce demanded on every request costs exactly
 * one retry; a fresh `DPoP-Nonce` on a 200 is used for the next request (no retry then); a
 * token response that drops the binding a proof asked for is refused and nothing is stored.
 */
import { describe, expect, it } from 'vitest'
import {
  authorize,
  expectNothingStored,
  refused,
  SESSION_KEY,
  session,
  useProvider,
} from './harness.ts'

const p = useProvider()
const dpopSpa = () => p.spa({ dpop: true, scope: 'openid offline_access api:read' })

describe('use_dpop_nonce', () => {
  it('a nonce demanded on every request: the code exchange is retried exactly once', async () => {
    const client = await dpopSpa()
    const s = session(client)
    const response = await authorize(p, client, {}, { dpop: { nonceEveryRequest: true } })
    const tokens = await s.callback(response)
    expect(tokens.tokenType).toBe('DPoP')
    expect(p.hits('token')).toBe(2)
    expect(s.store.writes).toHaveLength(1)
  })

  it('the same for a refresh and for userinfo (one retry each)', async () => {
    const client = await dpopSpa()
    const s = session(client)
    await s.callback(await authorize(p, client))
    p.server.control.setFaults({ dpop: { nonceEveryRequest: true } })
    p.server.control.clearRequests()
    const fresh = await s.manager.refresh()
    expect(fresh.tokenType).toBe('DPoP')
    expect(p.hits('token')).toBe(2)
    await client.userinfo(fresh)
    expect(p.hits('userinfo')).toBeLessThanOrEqual(2)
  })

  it('a new DPoP-Nonce on a 200 is used for the next request: no second challenge', async () => {
    const client = await dpopSpa()
    const s = session(client)
    const faults = { dpop: { nonceEveryRequest: true, rotateNonce: true } }
    await s.callback(await authorize(p, client, {}, faults))
    expect(p.hits('token')).toBe(2) // first contact: no nonce yet
    p.server.control.clearRequests()
    await s.manager.refresh()
    expect(p.hits('token')).toBe(1)
    p.server.control.clearRequests()
    await s.manager.refresh()
    expect(p.hits('token')).toBe(1)
  })
})

describe('dropped DPoP binding', () => {
  it('a token response without the binding the proof asked for is refused, nothing stored', async () => {
    const client = await dpopSpa()
    const s = session(client)
    const response = await authorize(p, client, {}, { tokenResponse: { dropDpopBinding: true } })
    await refused(s.callback(response), 'DPOP_BINDING_MISSING')
    await expectNothingStored(s.store)
    expect(p.hits('userinfo')).toBe(0)
  })

  it('a refresh answered without the binding is refused; the session is kept with the new refresh token only', async () => {
    const client = await dpopSpa()
    const s = session(client)
    await s.callback(await authorize(p, client))
    const before = (await s.store.get(SESSION_KEY)) as Record<string, unknown>
    p.server.control.setFaults({ tokenResponse: { dropDpopBinding: true } })
    await refused(s.manager.refresh(), 'DPOP_BINDING_MISSING')
    const after = (await s.store.get(SESSION_KEY)) as Record<string, unknown>
    expect({ ...after, refreshToken: undefined }).toEqual({ ...before, refreshToken: undefined })
    expect(after.refreshToken).not.toBe(before.refreshToken)
  })
})
