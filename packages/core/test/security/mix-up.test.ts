/**
 * Mix-up defence (RFC 9207, RFC 9700 §4.4): the response must come from the provider the
 * request went to. Refused before the code reaches any token endpoint: `iss` missing while
 * the provider promises it (unless the response carries the ID token it asked for, whose
 * verified `iss` names the issuer), `iss` naming another issuer, or a transaction of another
 * provider.
 */
import { startReferenceServer, type ReferenceServer } from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, discover, type ResponseType } from '../../src/index.ts'
import {
  authorize,
  expectNothingStored,
  FRONT_ID_TOKEN,
  refused,
  refusesLogin,
  session,
  SPA_REDIRECT,
  useProvider,
} from './harness.ts'

const p = useProvider()
let other: ReferenceServer
beforeAll(async () => {
  other = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => other.close())

describe('RFC 9207 iss in the authorization response', () => {
  it.each<ResponseType>(['code', 'code token'])(
    '%s: iss missing although advertised → ISS_MISSING',
    async (responseType) => {
      await refusesLogin(
        p,
        responseType,
        { authorizationResponse: { iss: 'missing' } },
        'ISS_MISSING',
      )
      expect(p.hits('token')).toBe(0)
    },
  )

  // Certified providers leave iss out beside an ID token (RFC 9207 §2.4): the ID token's own
  // verified iss names the issuer, so a response of another issuer is still refused.
  it.each<ResponseType>(FRONT_ID_TOKEN)(
    '%s: iss missing, ID token of another issuer → ID_TOKEN_ISS_MISMATCH',
    async (responseType) => {
      await refusesLogin(
        p,
        responseType,
        {
          authorizationResponse: { iss: 'missing' },
          idToken: { iss: 'https://attacker.example.test', only: { channel: 'authorization' } },
        },
        'ID_TOKEN_ISS_MISMATCH',
      )
      expect(p.hits('token')).toBe(0)
    },
  )

  it.each<ResponseType>(FRONT_ID_TOKEN)(
    '%s: iss missing, ID token of this issuer → accepted',
    async (responseType) => {
      const client = await p.legacy()
      const s = session(client)
      const response = await authorize(
        p,
        client,
        { responseType },
        { authorizationResponse: { iss: 'missing' } },
      )
      expect(response.params.has('iss')).toBe(false)
      await s.callback(response)
      expect(s.store.writes).toHaveLength(1)
    },
  )

  it.each<ResponseType>(['code', ...FRONT_ID_TOKEN])(
    '%s: iss of another issuer → ISS_MISMATCH',
    async (responseType) => {
      await refusesLogin(
        p,
        responseType,
        { authorizationResponse: { iss: 'wrong' } },
        'ISS_MISMATCH',
      )
      expect(p.hits('token')).toBe(0)
    },
  )

  it('an error response naming another issuer is refused as a mix-up, not reported as the error', async () => {
    const client = await p.spa()
    const { transaction } = await client.createAuthorizationRequest()
    const forged = new URLSearchParams({
      error: 'access_denied',
      state: transaction.state,
      iss: 'https://attacker.example.test',
    })
    await refused(client.handleAuthorizationResponse(forged, transaction), 'ISS_MISMATCH')
  })

  it('without the metadata promise, a response without iss is accepted (RFC 9207 §2.4)', async () => {
    const discovered = await p.spa()
    const client = new Client(
      { ...discovered.metadata, authorization_response_iss_parameter_supported: false },
      { clientId: 'spa', redirectUri: SPA_REDIRECT, scope: 'openid' },
    )
    const s = session(client)
    const response = await authorize(p, client, {}, { authorizationResponse: { iss: 'missing' } })
    await s.callback(response)
    expect(s.store.writes).toHaveLength(1)
  })
})

describe('a response of provider B handled with provider A', () => {
  it('refuses B`s genuine response for A`s transaction (its iss names B)', async () => {
    const clientA = await p.spa()
    const b = await discover(other.issuer, {
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      scope: 'openid',
    })
    const fromB = await authorize({ ...p, server: other }, b)
    const { transaction } = await clientA.createAuthorizationRequest()
    const params = new URLSearchParams(fromB.params)
    params.set('state', transaction.state) // the attacker knows A's state
    const s = session(clientA)
    await refused(s.callback({ params, transaction }), 'ISS_MISMATCH')
    expect(p.hits('token')).toBe(0)
    expect(other.control.requests({ endpoint: 'token' })).toHaveLength(0)
    await expectNothingStored(s.store)
  })

  it('refuses a transaction of another provider even when no iss parameter is there to tell', async () => {
    const discovered = await p.spa()
    const clientA = new Client(
      { ...discovered.metadata, authorization_response_iss_parameter_supported: false },
      { clientId: 'spa', redirectUri: SPA_REDIRECT, scope: 'openid' },
    )
    const b = await discover(other.issuer, {
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      scope: 'openid',
    })
    other.control.setFaults({ authorizationResponse: { iss: 'missing' } })
    const { params, transaction } = await authorize({ ...p, server: other }, b)
    other.control.resetFaults()
    const s = session(clientA)
    await refused(s.callback({ params, transaction }), 'ISS_MISMATCH')
    expect(p.hits('token')).toBe(0)
    expect(other.control.requests({ endpoint: 'token' })).toHaveLength(0)
    await expectNothingStored(s.store)
  })

  it('refuses a transaction started with another provider', async () => {
    const clientA = await p.spa()
    const b = await discover(other.issuer, {
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      scope: 'openid',
    })
    const { params, transaction } = await authorize({ ...p, server: other }, b)
    const s = session(clientA)
    await refused(s.callback({ params, transaction }), 'ISS_MISMATCH')
    expect(other.control.requests({ endpoint: 'token' })).toHaveLength(0)
    await expectNothingStored(s.store)
  })
})
