/**
 * Regression: a revocation answered with 200 and a body over `maxResponseBytes` failed with
 * RESPONSE_TOO_LARGE, although RFC 7009 §2.2 has the client ignore the body of a 200: the token
 * is revoked. Now such a body is dropped (read no further than the cap) and revoke() succeeds;
 * a refusal's oversized body is still RESPONSE_TOO_LARGE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'
import { startTinyServer, type TinyServer } from './helpers/tiny-server.ts'

const h = useReferenceServer()
const m2m = () => h.client({ clientId: 'm2m', clientSecret: 'm2m-secret' })

describe('a revocation answered 200 with an oversized body', () => {
  it('succeeds (the body of a 200 is ignored)', async () => {
    const client = await m2m()
    const tokens = await client.clientCredentials()
    h.server.control.setFaults({ http: { revocation: { status: 200, body: 'oversized' } } })
    await expect(
      client.revoke(tokens.accessToken, { tokenTypeHint: 'access_token' }),
    ).resolves.toBeUndefined()
    expect(h.server.control.requests({ endpoint: 'revocation' })).toHaveLength(1)
  })

  it('a refusal with an oversized body is still RESPONSE_TOO_LARGE', async () => {
    const client = await m2m()
    h.server.control.setFaults({ http: { revocation: { status: 400, body: 'oversized' } } })
    await expect(client.revoke('some-token')).rejects.toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
    })
  })
})

describe('a revocation answered 200 with an endless body without Content-Length', () => {
  let server: TinyServer
  beforeAll(async () => {
    server = await startTinyServer()
  })
  afterAll(() => server.close())

  it('succeeds without reading the body past maxResponseBytes', async () => {
    let written = 0
    server.route('/revoke', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = 'x'.repeat(16 * 1024)
      const timer = setInterval(() => {
        if (res.destroyed || written > 8 * 1024 * 1024) {
          clearInterval(timer)
          res.end()
          return
        }
        written += chunk.length
        res.write(chunk)
      }, 1)
    })
    const client = new Client(
      {
        issuer: server.url,
        token_endpoint: `${server.url}/token`,
        revocation_endpoint: `${server.url}/revoke`,
      },
      { clientId: 'c', clientSecret: 's', maxResponseBytes: 64 * 1024 },
    )
    await expect(client.revoke('some-token')).resolves.toBeUndefined()
    expect(server.count('/revoke')).toBe(1)
    expect(written).toBeLessThan(8 * 1024 * 1024)
  })
})
