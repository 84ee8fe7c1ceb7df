import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { discover, discoverMetadata } from '../src/index.ts'
import { json, startTinyServer, type TinyServer } from './helpers/tiny-server.ts'

let server: TinyServer

beforeAll(async () => {
  server = await startTinyServer()
  server.route('/.well-known/oauth-authorization-server', (_req, res) =>
    json(res, 200, { issuer: server.url, token_endpoint: `${server.url}/token` }),
  )
})
afterAll(() => server.close())

describe('discovery', () => {
  it('falls back to RFC 8414 metadata when there is no OpenID configuration', async () => {
    const metadata = await discoverMetadata(server.url)
    expect(metadata.token_endpoint).toBe(`${server.url}/token`)
    expect(server.count('/.well-known/openid-configuration')).toBeGreaterThanOrEqual(1)
    expect(server.count('/.well-known/oauth-authorization-server')).toBe(1)
  })

  it('uses a custom fetch for every request', async () => {
    const seen: string[] = []
    const client = await discover(server.url, {
      clientId: 'c',
      fetch: (input, init) => {
        seen.push(String(input))
        return fetch(input, init)
      },
    })
    expect(client.metadata.issuer).toBe(server.url)
    expect(seen.some((url) => url.endsWith('/.well-known/oauth-authorization-server'))).toBe(true)
  })

  it('discovers for a confidential client (its secret is no discovery option) and refuses its unusable options before any request', async () => {
    const client = await discover(server.url, { clientId: 'c', clientSecret: 's' })
    expect(client.core.options.clientAuth).toBe('client_secret_basic')
    const before = server.count('/.well-known/oauth-authorization-server')
    await expect(
      discover(server.url, { clientId: 'c', clientAuth: 'client_secret_post' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(server.count('/.well-known/oauth-authorization-server')).toBe(before)
  })

  it('refuses a relative or malformed issuer with INVALID_ARGUMENT', async () => {
    await expect(discoverMetadata('/relative')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(discoverMetadata('http://[bad')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('a network failure is a NetworkError after the retries', async () => {
    const dead = await startTinyServer()
    const url = dead.url
    await dead.close()
    await expect(discoverMetadata(url, { retry: { baseDelayMs: 10 } })).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
    })
  })
})
