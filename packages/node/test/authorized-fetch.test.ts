import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Client, discover, isOpenRpError } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createAuthorizedFetch } from '../src/authorized-fetch.ts'
import { ClientCredentialsProvider } from '../src/client-credentials-provider.ts'

let server: ReferenceServer
let m2m: Client
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  m2m = await discover(server.issuer, { clientId: 'm2m', clientSecret: 'm2m-secret' })
})
afterAll(() => server.close())
beforeEach(() => {
  server.control.resetFaults()
  server.control.clearRequests()
})

const tokenRequests = () =>
  server.control.requests({ endpoint: 'token', grantType: 'client_credentials' }).length
const apiRequests = () => server.control.requests({ endpoint: 'api' })

describe('createAuthorizedFetch against the reference server API', () => {
  it('sends a Bearer token and reuses it while it is valid', async () => {
    const provider = new ClientCredentialsProvider({ client: m2m })
    const api = createAuthorizedFetch(provider, {
      scope: 'api:read',
      allowedOrigins: [server.issuer],
    })
    const first = await api(`${server.issuer}/api/data`)
    expect(first.status).toBe(200)
    const body = (await first.json()) as { client_id: string; items: unknown[] }
    expect(body.client_id).toBe('m2m')
    expect(body.items.length).toBeGreaterThan(0)
    expect((await api(new URL('/api/data', server.issuer))).status).toBe(200)
    expect(tokenRequests()).toBe(1)
    expect(apiRequests().map((r) => r.status)).toEqual([200, 200])
  })

  it('on a 401 gets a fresh token and retries once', async () => {
    const provider = new ClientCredentialsProvider({ client: m2m })
    const api = createAuthorizedFetch(provider, { scope: 'api:read' })
    expect((await api(`${server.issuer}/api/data`)).status).toBe(200)
    // The provider revokes the cached token: the API now answers 401 to it.
    const stale = await provider.getToken({ scope: 'api:read' })
    await m2m.revoke(stale.accessToken, 'access_token')
    const res = await api(`${server.issuer}/api/data`)
    expect(res.status).toBe(200)
    expect(tokenRequests()).toBe(2)
    expect(apiRequests().map((r) => r.status)).toEqual([200, 401, 200])
    const fresh = await provider.getToken({ scope: 'api:read' })
    expect(fresh.accessToken).not.toBe(stale.accessToken)
  })

  it('late 401s for the same refused token cause one token request, not one each', async () => {
    const provider = new ClientCredentialsProvider({ client: m2m })
    const revoked = await provider.getToken({ scope: 'api:read' })
    await m2m.revoke(revoked.accessToken, 'access_token')
    server.control.clearRequests()
    // Requests carrying the revoked token reach the API one after another (slow links): the
    // first at once, each later one only once the one before it was answered and the first
    // retry (with the new token) has succeeded, so every later 401 arrives after the token was
    // replaced.
    let replaced!: () => void
    let previous: Promise<unknown> = new Promise<void>((resolve) => (replaced = resolve))
    let first = true
    const staggered: typeof fetch = async (input, init) => {
      const request = new Request(input, init)
      if (request.headers.get('authorization') !== `Bearer ${revoked.accessToken}`) {
        const response = await fetch(request)
        replaced()
        return response
      }
      if (first) {
        first = false
        return fetch(request)
      }
      const turn = previous.then(() => fetch(request))
      previous = turn.catch(() => {})
      return turn
    }
    const api = createAuthorizedFetch(provider, { scope: 'api:read', fetch: staggered })
    const statuses = await Promise.all(
      Array.from({ length: 6 }, () => api(`${server.issuer}/api/data`).then((r) => r.status)),
    )
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200])
    expect(apiRequests().filter((r) => r.status === 401)).toHaveLength(6)
    expect(tokenRequests()).toBe(1)
  })

  it('returns the second 401 as is instead of looping', async () => {
    // A token for another audience is refused by this API every time.
    const provider = new ClientCredentialsProvider({ client: m2m })
    const api = createAuthorizedFetch(provider, {
      scope: 'api:read',
      audience: 'https://downstream.example.test',
    })
    const res = await api(`${server.issuer}/api/data`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('invalid_token')
    expect(apiRequests()).toHaveLength(2)
    expect(tokenRequests()).toBe(2)
  })

  it('refuses origins outside allowedOrigins and plain http to other hosts, before any request', async () => {
    const provider = new ClientCredentialsProvider({ client: m2m })
    const api = createAuthorizedFetch(provider, { allowedOrigins: [server.issuer] })
    const otherPort = new URL(server.issuer)
    otherPort.port = String(Number(otherPort.port) + 1)
    const refused = await api(new URL('/api/data', otherPort)).catch((e) => e)
    expect(isOpenRpError(refused, 'INVALID_ARGUMENT')).toBe(true)
    const open = createAuthorizedFetch(provider)
    const insecure = await open('http://api.example.test/data').catch((e) => e)
    expect(isOpenRpError(insecure, 'INSECURE_ENDPOINT')).toBe(true)
    expect(tokenRequests()).toBe(0)
    expect(() => createAuthorizedFetch(provider, { allowedOrigins: ['not a url'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('passes token endpoint failures through with their code', async () => {
    server.control.setFaults({ http: { token: { status: 400 } } })
    const provider = new ClientCredentialsProvider({ client: m2m })
    const api = createAuthorizedFetch(provider)
    const error = await api(`${server.issuer}/api/data`).catch((e) => e)
    expect(isOpenRpError(error, 'OAUTH_ERROR')).toBe(true)
    expect(apiRequests()).toHaveLength(0)
  })
})

describe('createAuthorizedFetch request replay', () => {
  // A resource that refuses the first token it sees, then echoes what it received.
  let resource: Server
  let origin: string
  const seen: { authorization: string | undefined; body: string; method: string }[] = []
  beforeAll(async () => {
    resource = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk) => {
        body += chunk
      })
      req.on('end', () => {
        seen.push({ authorization: req.headers.authorization, body, method: req.method ?? '' })
        if (seen.length === 1) {
          res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end()
          return
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ body }))
      })
    })
    await new Promise<void>((resolve) => resource.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(resource.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => resource.close(() => resolve())))

  it('sends the same method and body again with the new token, replacing a caller Authorization', async () => {
    const provider = new ClientCredentialsProvider({ client: m2m })
    const api = createAuthorizedFetch(provider, { allowedOrigins: [origin] })
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"order":'))
        controller.enqueue(new TextEncoder().encode('42}'))
        controller.close()
      },
    })
    const res = await api(`${origin}/orders`, {
      method: 'POST',
      body: stream,
      headers: { authorization: 'Bearer caller-value', 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ body: '{"order":42}' })
    expect(seen).toHaveLength(2)
    expect(seen.map((s) => s.method)).toEqual(['POST', 'POST'])
    expect(seen.map((s) => s.body)).toEqual(['{"order":42}', '{"order":42}'])
    const [a, b] = seen.map((s) => s.authorization)
    expect(a).toMatch(/^Bearer ey/)
    expect(b).toMatch(/^Bearer ey/)
    expect(a).not.toBe(b)
    expect(a).not.toContain('caller-value')
  })
})
