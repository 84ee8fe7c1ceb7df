/**
 * OpenID Foundation RP certification, nonce cases: `rp-nonce-unless-code-flow` (every request
 * that returns an ID token from the authorization endpoint carries a nonce, and the token must
 * echo it) and `rp-nonce-invalid`.
 */
import { describe, expect, it } from 'vitest'
import type { ResponseType } from '../../src/index.ts'
import {
  ALL_RESPONSE_TYPES,
  authorize,
  expectNothingStored,
  FRONT_ID_TOKEN,
  refused,
  refusesLogin,
  session,
  useProvider,
} from './harness.ts'

const p = useProvider()

describe('rp-nonce-unless-code-flow', () => {
  it.each(ALL_RESPONSE_TYPES)(
    '%s: the request carries a fresh nonce kept in the transaction',
    async (responseType) => {
      const client = await p.legacy()
      const first = await client.createAuthorizationRequest({ responseType })
      const second = await client.createAuthorizationRequest({ responseType })
      const nonce = first.url.searchParams.get('nonce')
      expect(nonce).toBe(first.transaction.nonce)
      expect(nonce?.length).toBeGreaterThanOrEqual(22)
      expect(second.transaction.nonce).not.toBe(nonce)
    },
  )

  it.each(FRONT_ID_TOKEN)(
    '%s: refuses a front-channel ID token without nonce',
    async (responseType) => {
      await refusesLogin(p, responseType, { idToken: { nonce: null } }, 'ID_TOKEN_NONCE_MISMATCH')
      expect(p.hits('token')).toBe(0)
    },
  )
})

describe('rp-nonce-invalid', () => {
  it.each<ResponseType>(ALL_RESPONSE_TYPES)(
    '%s: refuses an ID token whose nonce is not the transaction one',
    async (responseType) => {
      await refusesLogin(
        p,
        responseType,
        { idToken: { nonce: 'replayed-nonce' } },
        'ID_TOKEN_NONCE_MISMATCH',
      )
      expect(p.hits('userinfo')).toBe(0)
    },
  )

  it('refuses a valid ID token replayed into another transaction (nonce bound to the request)', async () => {
    const client = await p.legacy()
    const a = await authorize(p, client, { responseType: 'id_token' })
    const b = await client.createAuthorizationRequest({ responseType: 'id_token' })
    const replay = new URLSearchParams(a.params)
    replay.set('state', b.transaction.state)
    const s = session(client)
    await refused(
      s.callback({ params: replay, transaction: b.transaction }),
      'ID_TOKEN_NONCE_MISMATCH',
    )
    await expectNothingStored(s.store)
  })
})
