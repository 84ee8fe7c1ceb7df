/**
 * TokenManager against node-oidc-provider: an expired access token asked for by many callers at
 * once costs one refresh request, the rotated refresh token replaces the old one in the store,
 * and the OP's invalid_grant (a refresh token revoked at the OP) ends the session once.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { InProcessLock, isOpenRpError, MemoryStore, TokenManager, TokenSet } from '@openrp/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type CertifiedOp, startCertifiedOp } from '../src/index.ts'
import { clientOf, login, OFFLINE, tokenRequests } from './helpers.ts'

let op: CertifiedOp
beforeAll(async () => {
  op = await startCertifiedOp({ generateKeyPair: fixedKeyPairs() })
})
afterAll(() => op?.close())
beforeEach(() => op.clearRequests())

/** The login's tokens as a store would hold them once the access token has expired. */
function expired(tokens: TokenSet): TokenSet {
  return TokenSet.fromJSON({ ...tokens.toJSON(), expiresAt: Math.floor(Date.now() / 1000) - 1 })
}

describe('TokenManager against node-oidc-provider', () => {
  it('refreshes once for ten callers and keeps the rotated refresh token', async () => {
    const client = await clientOf(op, 'public')
    const { tokens } = await login(client, OFFLINE)
    const store = new MemoryStore()
    const manager = new TokenManager({ client, store, key: 'alice', lock: new InProcessLock() })
    await manager.setTokenSet(expired(tokens))
    op.clearRequests()
    const all = await Promise.all(Array.from({ length: 10 }, () => manager.getAccessToken()))
    expect(new Set(all).size).toBe(1)
    expect(all[0]).not.toBe(tokens.accessToken)
    expect(tokenRequests(op, 'refresh_token')).toBe(1)
    const stored = await manager.getTokenSet()
    expect(stored?.refreshToken).toEqual(expect.any(String))
    expect(stored?.refreshToken).not.toBe(tokens.refreshToken)
    // The stored (rotated) refresh token is the live one at the OP.
    expect(await client.introspect(stored!.refreshToken!)).toMatchObject({ active: true })
  })

  it('ends the session on the OP refusing the refresh token (revoked), with one request', async () => {
    const client = await clientOf(op, 'public')
    const { tokens } = await login(client, OFFLINE)
    await client.revoke(tokens.refreshToken!, 'refresh_token')
    const manager = new TokenManager({ client, store: new MemoryStore(), key: 'alice' })
    await manager.setTokenSet(expired(tokens))
    let expiredEvents = 0
    manager.on('expired', () => {
      expiredEvents++
    })
    op.clearRequests()
    const results = await Promise.allSettled([manager.getAccessToken(), manager.getAccessToken()])
    for (const result of results) {
      expect(result.status).toBe('rejected')
      const reason = (result as PromiseRejectedResult).reason
      expect(isOpenRpError(reason, 'SESSION_EXPIRED')).toBe(true)
      expect(isOpenRpError(reason.cause, 'INVALID_GRANT')).toBe(true)
    }
    expect(tokenRequests(op, 'refresh_token')).toBe(1)
    expect(expiredEvents).toBe(1)
    expect(await manager.getTokenSet()).toBeUndefined()
  })
})
