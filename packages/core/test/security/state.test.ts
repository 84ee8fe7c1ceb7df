/**
 * State (RFC 6749 §10.12, OpenID Connect Core §3.1.2.7): a response whose state is missing or
 * not the transaction's is refused before the code is redeemed, for every response type; a
 * replayed callback is refused (state and code are single use).
 */
import { completeLogin } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { TransactionStore } from '../../../browser/src/transaction-store.ts'
import {
  ALL_RESPONSE_TYPES,
  authorize,
  expectNothingStored,
  refused,
  refusesLogin,
  session,
  SESSION_KEY,
  useProvider,
} from './harness.ts'

const p = useProvider()

describe.each(ALL_RESPONSE_TYPES)('response_type=%s', (responseType) => {
  it('refuses a response without state (STATE_MISSING), before the token endpoint', async () => {
    await refusesLogin(
      p,
      responseType,
      { authorizationResponse: { state: 'missing' } },
      'STATE_MISSING',
    )
    expect(p.hits('token')).toBe(0)
  })

  it('refuses a response with another state (STATE_MISMATCH), before the token endpoint', async () => {
    await refusesLogin(
      p,
      responseType,
      { authorizationResponse: { state: 'wrong' } },
      'STATE_MISMATCH',
    )
    expect(p.hits('token')).toBe(0)
  })
})

describe('state is checked before the error of an error response', () => {
  it('a forged access_denied with another state is a STATE_MISMATCH', async () => {
    const client = await p.spa()
    const { transaction } = await client.createAuthorizationRequest()
    const forged = new URLSearchParams({
      error: 'access_denied',
      state: 'forged',
      iss: p.server.issuer,
    })
    await refused(client.handleAuthorizationResponse(forged, transaction), 'STATE_MISMATCH')
  })
})

describe('a replayed callback', () => {
  it('core: the second redemption is refused and the stored session is not replaced', async () => {
    const client = await p.spa()
    const s = session(client)
    const response = await authorize(p, client)
    await s.callback(response)
    const first = await s.store.get(SESSION_KEY)
    await refused(s.callback(response), 'INVALID_GRANT')
    expect(await s.store.get(SESSION_KEY)).toEqual(first)
    expect(s.store.writes).toHaveLength(1)
  })

  it('SPA layer: the pending login is taken once, so a replay never reaches the token endpoint', async () => {
    const map = new Map<string, string>()
    const transactions = new TransactionStore({
      getItem: (k) => map.get(k) ?? null,
      setItem: (k, v) => void map.set(k, v),
      removeItem: (k) => void map.delete(k),
    })
    const client = await p.spa()
    const response = await authorize(p, client)
    transactions.save(response.transaction.state, {
      transaction: response.transaction,
      mode: 'redirect',
      createdAt: Date.now(),
    })
    const callback = async () => {
      const pending = transactions.take(response.params.get('state'), 'redirect')
      return client.handleAuthorizationResponse(response.params, pending.transaction as never)
    }
    await callback()
    expect(p.hits('token')).toBe(1)
    await refused(callback(), 'STATE_MISMATCH')
    expect(p.hits('token')).toBe(1)
  })
})

describe('oidcc-client-test-formpost-error', () => {
  it('an error delivered by form_post is a typed ACCESS_DENIED after the state check; nothing stored', async () => {
    const client = await p.legacy()
    const { url, transaction } = await client.createAuthorizationRequest({
      responseType: 'code id_token',
      responseMode: 'form_post',
      prompt: 'consent', // alice consented earlier in this file: ask again so she can deny
    })
    const { params, method } = await completeLogin(url, { deny: true })
    expect(method).toBe('form_post')
    expect(params.get('error')).toBe('access_denied')
    p.server.control.clearRequests()
    const s = session(client)
    await refused(s.callback({ params, transaction }), 'ACCESS_DENIED')
    expect(p.hits('token')).toBe(0)
    await expectNothingStored(s.store)
  })
})
