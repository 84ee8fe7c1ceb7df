/**
 * Regression: with DPoP, a token exchange answer that said `issued_token_type` access_token but
 * `token_type` `N_A` was taken as an unbound token that needed no binding. RFC 8693 §2.2.1 keeps
 * `N_A` for a token that is no access token; one the answer itself calls an access token must be
 * DPoP-bound like any other, so this answer is now DPOP_BINDING_MISSING.
 */
import { describe, expect, it } from 'vitest'
import { TOKEN_TYPES } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

describe('token exchange with DPoP', () => {
  it('refuses an access token labelled N_A with DPOP_BINDING_MISSING', async () => {
    const client = await h.client({
      clientId: 'exchange',
      clientSecret: 'exchange-secret',
      clientAuth: 'client_secret_post',
      dpop: true,
    })
    const subject = await client.clientCredentials({ scope: 'api:read' })
    const request = {
      subjectToken: subject.accessToken,
      subjectTokenType: TOKEN_TYPES.accessToken,
      requestedTokenType: TOKEN_TYPES.accessToken,
    }
    h.server.control.setFaults({ tokenResponse: { tokenType: 'N_A', times: 1 } })
    await expect(client.tokenExchange(request)).rejects.toMatchObject({
      code: 'DPOP_BINDING_MISSING',
    })
    // The same exchange answered as DPoP is taken.
    const exchanged = await client.tokenExchange(request)
    expect(exchanged.tokenType).toBe('DPoP')
    expect(exchanged.issuedTokenType).toBe(TOKEN_TYPES.accessToken)
  })
})
