/**
 * Regression: a retried request must not replay the client assertion or the DPoP proof of the
 * request before it. RFC 7523 §3 lets a provider accept an assertion `jti` once, and RFC 9449
 * §11.1 a proof `jti` once; the reference server enforces both. The fetch below lets the first
 * request reach the provider and then answers 503, as a proxy that lost the answer would: the
 * provider has seen that request's `jti`, so only a new request can succeed.
 */
import { DEMO_PRIVATE_KEY_JWK } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { TokenSet } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

/** Passes every request to the server; the first `lost` to `path` get a 503 back instead. */
function lossyFetch(path: string, lost = 1) {
  const sent: { assertion: string | null; proof: string | null }[] = []
  const fetchImpl: typeof fetch = async (input, init) => {
    const response = await fetch(input, init)
    if (new URL(String(input)).pathname !== path) return response
    sent.push({
      assertion: new URLSearchParams(String(init?.body ?? '')).get('client_assertion'),
      proof: new Headers(init?.headers).get('dpop'),
    })
    if (sent.length > lost) return response
    await response.arrayBuffer()
    return Response.json({ error: 'temporarily_unavailable' }, { status: 503 })
  }
  return { fetch: fetchImpl, sent }
}

const pkjwt = (fetchImpl: typeof fetch) =>
  h.client({
    clientId: 'pkjwt',
    privateKey: DEMO_PRIVATE_KEY_JWK,
    fetch: fetchImpl,
    retry: { baseDelayMs: 10 },
  })

const distinct = (values: (string | null)[]) => new Set(values).size === values.length

describe('retries build a new request (fresh client assertion, fresh DPoP proof)', () => {
  it('client credentials with private_key_jwt: the retry succeeds', async () => {
    const lossy = lossyFetch('/token')
    const client = await pkjwt(lossy.fetch)
    await expect(client.clientCredentials({ scope: 'api:read' })).resolves.toBeInstanceOf(TokenSet)
    expect(lossy.sent).toHaveLength(2)
    expect(distinct(lossy.sent.map((s) => s.assertion))).toBe(true)
  })

  it('client credentials with client_secret_jwt: the retry succeeds', async () => {
    const lossy = lossyFetch('/token')
    const client = await h.client({
      clientId: 'secret-jwt',
      clientSecret: 'secret-jwt-secret-that-is-at-least-32-bytes-long',
      clientAuth: 'client_secret_jwt',
      fetch: lossy.fetch,
      retry: { baseDelayMs: 10 },
    })
    await expect(client.clientCredentials({ scope: 'api:read' })).resolves.toBeInstanceOf(TokenSet)
    expect(distinct(lossy.sent.map((s) => s.assertion))).toBe(true)
  })

  it('client credentials with DPoP is retried too, each time with a new proof', async () => {
    const lossy = lossyFetch('/token')
    const client = await h.client({
      clientId: 'm2m',
      clientSecret: 'm2m-secret',
      dpop: true,
      fetch: lossy.fetch,
      retry: { baseDelayMs: 10 },
    })
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    expect(tokens.tokenType).toBe('DPoP')
    expect(lossy.sent.length).toBeGreaterThanOrEqual(2)
    expect(distinct(lossy.sent.map((s) => s.proof))).toBe(true)
  })

  it('introspection with private_key_jwt: the retry succeeds', async () => {
    const client = await pkjwt(fetch)
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    const lossy = lossyFetch('/introspect')
    const retrying = await pkjwt(lossy.fetch)
    await expect(retrying.introspect(tokens.accessToken)).resolves.toMatchObject({ active: true })
    expect(lossy.sent).toHaveLength(2)
    expect(distinct(lossy.sent.map((s) => s.assertion))).toBe(true)
  })

  it('revocation with private_key_jwt: the retry succeeds and the token is revoked', async () => {
    const client = await pkjwt(fetch)
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    const lossy = lossyFetch('/revoke')
    const retrying = await pkjwt(lossy.fetch)
    await expect(retrying.revoke(tokens.accessToken, 'access_token')).resolves.toBeUndefined()
    expect(lossy.sent).toHaveLength(2)
    expect(distinct(lossy.sent.map((s) => s.assertion))).toBe(true)
    await expect(client.introspect(tokens.accessToken)).resolves.toMatchObject({ active: false })
  })

  it('gives up after maxRetries with the 503, every attempt with its own assertion', async () => {
    const lossy = lossyFetch('/token', 10)
    const client = await h.client({
      clientId: 'pkjwt',
      privateKey: DEMO_PRIVATE_KEY_JWK,
      fetch: lossy.fetch,
      retry: { maxRetries: 2, baseDelayMs: 10 },
    })
    await expect(client.clientCredentials({ scope: 'api:read' })).rejects.toMatchObject({
      code: 'OAUTH_ERROR',
      error: 'temporarily_unavailable',
      status: 503,
    })
    expect(lossy.sent).toHaveLength(3)
    expect(distinct(lossy.sent.map((s) => s.assertion))).toBe(true)
  })
})
