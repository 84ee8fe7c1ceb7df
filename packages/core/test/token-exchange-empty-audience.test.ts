/**
 * Regression: tokenExchange() sent an empty `audience` (alone or in a list). RFC 8693 §2.1 makes
 * it the logical name of the target service, and RFC 6749 §3.1 has a provider treat a parameter
 * without a value as omitted: a lenient one then issued a token for its default audience, wider
 * than the one asked for (an unset variable, say). The reference server refuses it
 * (`invalid_target`); openrp now refuses it with INVALID_ARGUMENT before any request, like an
 * empty actor token.
 */
import { describe, expect, it } from 'vitest'
import { TOKEN_TYPES } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

describe('tokenExchange refuses an empty audience', () => {
  it.each<{ audience: string | string[] }>([
    { audience: '' },
    { audience: ['https://downstream.example.test', ''] },
  ])('refuses %j before any request', async ({ audience }) => {
    const client = await h.client({
      clientId: 'exchange',
      clientSecret: 'exchange-secret',
      clientAuth: 'client_secret_post',
    })
    const subject = await client.clientCredentials({ scope: 'api:read' })
    h.server.control.clearRequests()
    await expect(
      client.tokenExchange({
        subjectToken: subject.accessToken,
        subjectTokenType: TOKEN_TYPES.accessToken,
        audience,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })
})
