/**
 * OpenID Foundation RP certification, Config profile key rotation cases:
 * `rp-key-rotation-op-sign-key` (the provider rotates its signing key between logins) and
 * `rp-key-rotation-op-sign-key-native` (it rotates just before signing the token in hand).
 * Each is followed with exactly one JWKS refetch.
 */
import { DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { authorize, refused, session, useProvider } from './harness.ts'

const p = useProvider()
const alice = DEMO_USERS[0]!

describe('rp-key-rotation-op-sign-key', () => {
  it('follows a rotation between two logins with one JWKS refetch', async () => {
    const client = await p.spa()
    await session(client).callback(await authorize(p, client))
    await p.server.control.rotateKeys({ dropOld: true })
    const response = await authorize(p, client)
    const s = session(client)
    const tokens = await s.callback(response)
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(p.hits('jwks')).toBe(1)
  })
})

describe('rp-key-rotation-op-sign-key-native', () => {
  it('follows a rotation that happens after the request and before signing (front channel)', async () => {
    const client = await p.legacy()
    await session(client).callback(await authorize(p, client, { responseType: 'id_token' }))
    const { url, transaction } = await client.createAuthorizationRequest({
      responseType: 'id_token',
    })
    await p.server.control.rotateKeys({ dropOld: true })
    const { completeLogin } = await import('@openrp/reference-server')
    const { params } = await completeLogin(url)
    p.server.control.clearRequests()
    const tokens = await session(client).callback({ params, transaction })
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(p.hits('jwks')).toBe(1)
  })

  it('a token signed by a key that is no longer published is refused after one refetch', async () => {
    const client = await p.spa()
    await session(client).callback(await authorize(p, client))
    const response = await authorize(p, client, {}, { idToken: { unlistedKey: true } })
    const s = session(client)
    await refused(s.callback(response), 'JWKS_NO_MATCHING_KEY')
    expect(p.hits('jwks')).toBe(1)
    expect(s.store.writes).toEqual([])
  })
})
