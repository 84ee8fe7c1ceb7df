/**
 * Regression: tokenExchange() sent empty `subject_token`, `subject_token_type`, `actor_token`
 * and `actor_token_type` values (RFC 8693 §2.1: the subject's are REQUIRED, the actor's type is
 * REQUIRED with its token). An empty actor token (an unset variable, say) turned a delegation
 * into an impersonation: the reference server, like a lenient provider, issued a token without
 * `act`. Empty values are now INVALID_ARGUMENT before any request.
 */
import { describe, expect, it } from 'vitest'
import { TOKEN_TYPES, type TokenExchangeOptions } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const gateway = () =>
  h.client({
    clientId: 'exchange',
    clientSecret: 'exchange-secret',
    clientAuth: 'client_secret_post',
  })

describe('tokenExchange refuses empty tokens and token types', () => {
  it.each<Partial<TokenExchangeOptions>>([
    { subjectToken: '' },
    { subjectTokenType: '' },
    { actorToken: '', actorTokenType: TOKEN_TYPES.accessToken },
    { actorToken: 'an-actor-token', actorTokenType: '' },
  ])('refuses %j before any request', async (change) => {
    const client = await gateway()
    const subject = await client.clientCredentials({ scope: 'api:read' })
    h.server.control.clearRequests()
    await expect(
      client.tokenExchange({
        subjectToken: subject.accessToken,
        subjectTokenType: TOKEN_TYPES.accessToken,
        ...change,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })
})
