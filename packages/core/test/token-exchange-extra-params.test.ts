/**
 * tokenExchange() takes `extraParams`, for a provider's own parameters (Keycloak's
 * `requested_subject`, `subject_issuer`). grant() refuses the token-exchange grant type (its
 * answer would skip tokenExchange's checks), so this is where such a parameter goes. The ones
 * openrp sets, or that have an option of their own, are refused before any request.
 */
import { describe, expect, it } from 'vitest'
import { TOKEN_TYPES } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

/** A client whose token requests' bodies are kept. */
async function recordingClient() {
  const bodies: URLSearchParams[] = []
  const client = await h.client({
    clientId: 'exchange',
    clientSecret: 'exchange-secret',
    clientAuth: 'client_secret_post',
    fetch: async (input, init) => {
      if (typeof init?.body === 'string' || init?.body instanceof URLSearchParams)
        bodies.push(new URLSearchParams(init.body))
      return fetch(input, init)
    },
  })
  return { client, bodies }
}

describe('tokenExchange extraParams', () => {
  it('sends them beside the exchange parameters', async () => {
    const { client, bodies } = await recordingClient()
    const subject = await client.clientCredentials({ scope: 'api:read' })
    bodies.length = 0
    const exchanged = await client.tokenExchange({
      subjectToken: subject.accessToken,
      subjectTokenType: TOKEN_TYPES.accessToken,
      extraParams: { requested_subject: 'alice', subject_issuer: 'partner' },
    })
    expect(exchanged.issuedTokenType).toBe(TOKEN_TYPES.accessToken)
    expect(bodies).toHaveLength(1)
    const sent = bodies[0]!
    expect(sent.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange')
    expect(sent.get('subject_token')).toBe(subject.accessToken)
    expect(sent.get('requested_subject')).toBe('alice')
    expect(sent.get('subject_issuer')).toBe('partner')
  })

  it.each([
    [{ grant_type: 'client_credentials' }, 'grant_type'],
    [{ client_secret: 'other' }, 'client_secret'],
    [{ subject_token: 'other' }, 'subjectToken'],
    [{ audience: 'https://other.example.test' }, 'audience'],
    [{ resource: 'https://other.example.test' }, 'resource'],
  ])('refuses %j before any request', async (extraParams, named) => {
    const { client, bodies } = await recordingClient()
    const subject = await client.clientCredentials({ scope: 'api:read' })
    bodies.length = 0
    const exchange = client.tokenExchange({
      subjectToken: subject.accessToken,
      subjectTokenType: TOKEN_TYPES.accessToken,
      extraParams,
    })
    await expect(exchange).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(exchange).rejects.toThrow(named)
    expect(bodies).toHaveLength(0)
  })

  it('refuses extraParams that are not an object of strings', async () => {
    const { client, bodies } = await recordingClient()
    const exchange = client.tokenExchange({
      subjectToken: 'token',
      subjectTokenType: TOKEN_TYPES.accessToken,
      extraParams: { requested_subject: 42 } as unknown as Record<string, string>,
    })
    await expect(exchange).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(bodies).toHaveLength(0)
  })
})
