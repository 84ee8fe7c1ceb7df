/**
 * Regression: `client.grant()` (vendor and extension grants) redeemed authorization codes and
 * refresh tokens outside the paths that check them: a code went to the token endpoint without
 * the transaction (its ID token's nonce unchecked, so a forged nonce was taken), a refresh token
 * without the rotation rescue. Its params could also carry `grant_type` (silently replaced) and
 * client authentication (a second method beside the client's own, which RFC 6749 §2.3 forbids).
 * A token exchange through it took an answer without `issued_token_type`, which tokenExchange()
 * refuses (RFC 8693 §2.2.1). All of these are now INVALID_ARGUMENT before any request.
 */
import { describe, expect, it } from 'vitest'
import { TOKEN_TYPES } from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const tokenRequests = () => h.server.control.requests({ endpoint: 'token' })

describe('grant() keeps to grants without a checked path of their own', () => {
  it('refuses authorization_code: a code is redeemed only with its transaction', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    const { params, transaction } = await login(client)
    h.server.control.setFaults({ idToken: { nonce: 'forged' } })
    h.server.control.clearRequests()
    await expect(
      client.grant('authorization_code', {
        code: params.get('code') ?? '',
        redirect_uri: SPA_REDIRECT,
        code_verifier: transaction.codeVerifier,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(tokenRequests()).toHaveLength(0)
    // The code is still good for the path that checks the nonce, which refuses the forgery.
    await expect(client.handleAuthorizationResponse(params, transaction)).rejects.toMatchObject({
      code: 'ID_TOKEN_NONCE_MISMATCH',
    })
  })

  it('refuses refresh_token: refresh() keeps a rotated token', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    h.server.control.clearRequests()
    await expect(
      client.grant('refresh_token', { refresh_token: 'a-refresh-token' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(tokenRequests()).toHaveLength(0)
  })

  it('refuses token exchange: tokenExchange() requires issued_token_type', async () => {
    const client = await h.client({
      clientId: 'exchange',
      clientSecret: 'exchange-secret',
      clientAuth: 'client_secret_post',
    })
    const subject = await client.clientCredentials({ scope: 'api:read' })
    h.server.control.setFaults({ tokenResponse: { omitIssuedTokenType: true } })
    h.server.control.clearRequests()
    await expect(
      client.grant('urn:ietf:params:oauth:grant-type:token-exchange', {
        subject_token: subject.accessToken,
        subject_token_type: TOKEN_TYPES.accessToken,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /tokenExchange\(\)/ })
    expect(tokenRequests()).toHaveLength(0)
    // The method it names refuses the answer grant() took.
    await expect(
      client.tokenExchange({
        subjectToken: subject.accessToken,
        subjectTokenType: TOKEN_TYPES.accessToken,
      }),
    ).rejects.toMatchObject({ code: 'TOKEN_RESPONSE_INVALID' })
  })

  it.each<Record<string, string>>([
    { grant_type: 'password' },
    { client_id: 'another-client' },
    { client_secret: 'another-secret' },
    {
      client_assertion: 'a.b.c',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    },
  ])(
    'refuses params %j: the grant type and client authentication are the client’s own',
    async (reserved) => {
      const client = await h.client({
        clientId: 'exchange',
        clientSecret: 'exchange-secret',
        clientAuth: 'client_secret_post',
      })
      h.server.control.clearRequests()
      await expect(
        client.grant('organization_switch', { switching_organization: 'acme', ...reserved }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      expect(tokenRequests()).toHaveLength(0)
    },
  )
})
