/**
 * Regression: clientCredentials() sent what it was given as `scope` and `audience` unchecked.
 * An empty one counts as omitted at the provider (RFC 6749 §3.1): a token for the client's
 * default scope or audience, wider than asked for (an unset variable, say). An array became
 * `a,b`, a value nobody meant. Both are now INVALID_ARGUMENT before any request, as in
 * tokenExchange().
 */
import { describe, expect, it } from 'vitest'
import type { ClientCredentialsOptions } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

describe('clientCredentials refuses unusable scope and audience', () => {
  it.each<Record<string, unknown>>([
    { scope: '' },
    { audience: '' },
    { scope: ['api:read', 'api:write'] },
    { audience: ['https://a.example.test', 'https://b.example.test'] },
    { scope: 42 },
  ])('refuses %j before any request', async (options) => {
    const client = await h.client({ clientId: 'm2m', clientSecret: 'm2m-secret' })
    await expect(
      client.clientCredentials(options as ClientCredentialsOptions),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it('still sends a scope and an audience that are non-empty strings', async () => {
    const client = await h.client({ clientId: 'm2m', clientSecret: 'm2m-secret' })
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    expect(tokens.accessToken).toBeTypeOf('string')
  })
})
