/**
 * Issue 16: whether the code exchange must bring an ID token was inferred from the transaction's
 * nonce. The transaction now records it (`idTokenRequired`: `openid` in the scope or `id_token`
 * in the response type); a transaction stored without it falls back to the old inference.
 */
import { describe, expect, it } from 'vitest'
import { type AuthTransaction, assertTransaction, isOpenRpError } from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const spa = (scope = 'openid profile') =>
  h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT, scope })

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (isOpenRpError(error) ? error.code : `not typed: ${String(error)}`),
  )
}

describe('issue 16: the transaction records whether an ID token is required', () => {
  it('records it from the scope and the response type', async () => {
    const client = await h.client({ clientId: 'legacy-spa', redirectUri: SPA_REDIRECT })
    const openid = await client.createAuthorizationRequest({ scope: 'openid' })
    expect(openid.transaction.idTokenRequired).toBe(true)
    const oauthOnly = await client.createAuthorizationRequest({ scope: 'api:read' })
    expect(oauthOnly.transaction.idTokenRequired).toBe(false)
    expect(oauthOnly.transaction.nonce).toBeUndefined()
    const implicit = await client.createAuthorizationRequest({
      scope: 'api:read',
      responseType: 'id_token',
    })
    expect(implicit.transaction.idTokenRequired).toBe(true)
  })

  it('an openid code exchange without an ID token is refused', async () => {
    const client = await spa()
    const { params, transaction } = await login(client)
    h.server.control.setFaults({ tokenResponse: { omitIdToken: true } })
    expect(await codeOf(client.handleAuthorizationResponse(params, transaction))).toBe(
      'TOKEN_RESPONSE_INVALID',
    )
  })

  it('the recorded member decides, not the nonce', async () => {
    const client = await spa()
    const { params, transaction } = await login(client)
    const withoutNonce: AuthTransaction = { ...transaction }
    delete withoutNonce.nonce
    h.server.control.setFaults({ tokenResponse: { omitIdToken: true } })
    expect(await codeOf(client.handleAuthorizationResponse(params, withoutNonce))).toBe(
      'TOKEN_RESPONSE_INVALID',
    )
  })

  it('a transaction stored without the member: a nonce still means an ID token is required', async () => {
    const client = await spa()
    const { params, transaction } = await login(client)
    const stored = JSON.parse(JSON.stringify(transaction)) as AuthTransaction
    delete stored.idTokenRequired
    expect(() => assertTransaction(stored)).not.toThrow()
    h.server.control.setFaults({ tokenResponse: { omitIdToken: true } })
    expect(await codeOf(client.handleAuthorizationResponse(params, stored))).toBe(
      'TOKEN_RESPONSE_INVALID',
    )
  })

  it('a transaction stored without the member and without a nonce: no ID token required', async () => {
    const client = await spa('api:read')
    const { params, transaction } = await login(client)
    const stored = JSON.parse(JSON.stringify(transaction)) as AuthTransaction
    delete stored.idTokenRequired
    const tokens = await client.handleAuthorizationResponse(params, stored)
    expect(tokens.idToken).toBeUndefined()
    expect(tokens.accessToken).toEqual(expect.any(String))
  })

  it('refuses a transaction whose idTokenRequired is not a boolean', () => {
    expect(() =>
      assertTransaction({
        state: 's',
        responseType: 'code',
        codeVerifier: 'v',
        redirectUri: SPA_REDIRECT,
        issuer: h.server.issuer,
        createdAt: 0,
        idTokenRequired: 'yes',
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})
