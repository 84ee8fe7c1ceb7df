/**
 * Issue 16: certified providers (node-oidc-provider) advertise
 * `authorization_response_iss_parameter_supported` and leave the RFC 9207 `iss` parameter out of
 * authorization responses that carry an ID token, whose verified `iss` names the issuer. Such
 * responses were refused with `ISS_MISSING`. The reference server behaves the same way with
 * `authorizationResponseIss: 'without-id-token'`.
 */
import { DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { isOpenRpError, type ResponseType } from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer({ authorizationResponseIss: 'without-id-token' })
const alice = DEMO_USERS[0]!
const legacy = () =>
  h.client({ clientId: 'legacy-spa', redirectUri: SPA_REDIRECT, scope: 'openid profile' })

const WITH_ID_TOKEN: ResponseType[] = [
  'code id_token',
  'code id_token token',
  'id_token',
  'id_token token',
]

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (isOpenRpError(error) ? error.code : `not typed: ${String(error)}`),
  )
}

describe('issue 16: no iss parameter beside a verified ID token', () => {
  it('the provider promises iss', async () => {
    const client = await legacy()
    expect(client.metadata.authorization_response_iss_parameter_supported).toBe(true)
  })

  it.each(WITH_ID_TOKEN)('%s without iss is accepted', async (responseType) => {
    const client = await legacy()
    const { params, transaction } = await login(client, { responseType })
    expect(params.has('iss')).toBe(false)
    expect(params.has('id_token')).toBe(true)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.claims()?.sub).toBe(alice.sub)
    const redeemed = responseType.startsWith('code') ? 1 : 0
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(redeemed)
  })

  it.each(WITH_ID_TOKEN)(
    '%s without iss whose ID token names another issuer → ID_TOKEN_ISS_MISMATCH, no code redeemed',
    async (responseType) => {
      const client = await legacy()
      h.server.control.setFaults({
        idToken: { iss: 'https://attacker.example.test', only: { channel: 'authorization' } },
      })
      const { params, transaction } = await login(client, { responseType })
      expect(params.has('iss')).toBe(false)
      expect(await codeOf(client.handleAuthorizationResponse(params, transaction))).toBe(
        'ID_TOKEN_ISS_MISMATCH',
      )
      expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
    },
  )

  it.each(WITH_ID_TOKEN)(
    '%s with an iss parameter naming another issuer → ISS_MISMATCH',
    async (responseType) => {
      const client = await legacy()
      h.server.control.setFaults({ authorizationResponse: { iss: 'wrong' } })
      const { params, transaction } = await login(client, { responseType })
      expect(await codeOf(client.handleAuthorizationResponse(params, transaction))).toBe(
        'ISS_MISMATCH',
      )
      expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
    },
  )

  it('code (no ID token) still carries iss, and is refused without it → ISS_MISSING', async () => {
    const client = await legacy()
    const sent = await login(client, { responseType: 'code' })
    expect(sent.params.get('iss')).toBe(h.server.issuer)
    h.server.control.setFaults({ authorizationResponse: { iss: 'missing' } })
    const { params, transaction } = await login(client, { responseType: 'code' })
    expect(await codeOf(client.handleAuthorizationResponse(params, transaction))).toBe(
      'ISS_MISSING',
    )
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it('code token (no ID token) without iss → ISS_MISSING', async () => {
    const client = await legacy()
    h.server.control.setFaults({ authorizationResponse: { iss: 'missing' } })
    const { params, transaction } = await login(client, { responseType: 'code token' })
    expect(await codeOf(client.handleAuthorizationResponse(params, transaction))).toBe(
      'ISS_MISSING',
    )
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it('an id_token the response type did not ask for does not stand in for iss', async () => {
    const client = await legacy()
    const hybrid = await login(client, { responseType: 'code id_token' })
    h.server.control.setFaults({ authorizationResponse: { iss: 'missing' } })
    const { params, transaction } = await login(client, { responseType: 'code' })
    params.set('id_token', hybrid.params.get('id_token')!)
    expect(await codeOf(client.handleAuthorizationResponse(params, transaction))).toBe(
      'ISS_MISSING',
    )
  })

  it('an error response without iss → ISS_MISSING', async () => {
    const client = await legacy()
    const { transaction } = await client.createAuthorizationRequest({ responseType: 'id_token' })
    const forged = new URLSearchParams({ error: 'access_denied', state: transaction.state })
    expect(await codeOf(client.handleAuthorizationResponse(forged, transaction))).toBe(
      'ISS_MISSING',
    )
  })
})
