/**
 * Regression: a token exchange answer without `issued_token_type` was taken, a TokenSet whose
 * `issuedTokenType` was undefined, although RFC 8693 §2.2.1 makes the member REQUIRED: the
 * caller could not tell what it had been given. It is now TOKEN_RESPONSE_INVALID.
 */
import { describe, expect, it } from 'vitest'
import { TOKEN_TYPES } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const gateway = () =>
  h.client({
    clientId: 'exchange',
    clientSecret: 'exchange-secret',
    clientAuth: 'client_secret_post',
  })

describe('token exchange requires issued_token_type (RFC 8693 §2.2.1)', () => {
  it('refuses an answer without it with TOKEN_RESPONSE_INVALID', async () => {
    const client = await gateway()
    const subject = await client.clientCredentials({ scope: 'api:read' })
    const request = { subjectToken: subject.accessToken, subjectTokenType: TOKEN_TYPES.accessToken }
    h.server.control.setFaults({ tokenResponse: { omitIssuedTokenType: true, times: 1 } })
    await expect(client.tokenExchange(request)).rejects.toMatchObject({
      code: 'TOKEN_RESPONSE_INVALID',
    })
    // The same exchange with the member present is taken.
    const exchanged = await client.tokenExchange(request)
    expect(exchanged.issuedTokenType).toBe(TOKEN_TYPES.accessToken)
  })
})
