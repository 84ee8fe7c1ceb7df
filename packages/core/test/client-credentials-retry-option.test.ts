/**
 * Issue 14: `clientCredentials({ retry: false })` sends one request, whatever the client's
 * `retry` policy says, so a caller with its own backoff (ClientCredentialsProvider) is the only
 * retry policy during an outage; without it the client's retries stacked under that backoff.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
afterEach(() => h.server.control.resetFaults())

const tokenRequests = () =>
  h.server.control.requests({ endpoint: 'token', grantType: 'client_credentials' })

describe('the retry option of clientCredentials()', () => {
  it('false: one request during a 503, the provider error at once', async () => {
    const client = await h.client({
      clientId: 'm2m',
      clientSecret: 'm2m-secret',
      retry: { maxRetries: 2, baseDelayMs: 10 },
    })
    h.server.control.setFaults({ http: { token: { status: 503 } } })
    h.server.control.clearRequests()
    const error = await client
      .clientCredentials({ scope: 'api:read', retry: false })
      .catch((e) => e)
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', status: 503 })
    expect(tokenRequests()).toHaveLength(1)
  })

  it('by default: the client retry policy applies (1 request + 2 retries)', async () => {
    const client = await h.client({
      clientId: 'm2m',
      clientSecret: 'm2m-secret',
      retry: { maxRetries: 2, baseDelayMs: 10 },
    })
    h.server.control.setFaults({ http: { token: { status: 503 } } })
    h.server.control.clearRequests()
    const error = await client.clientCredentials({ scope: 'api:read' }).catch((e) => e)
    expect(error).toMatchObject({ status: 503 })
    expect(tokenRequests()).toHaveLength(3)
  })
})
