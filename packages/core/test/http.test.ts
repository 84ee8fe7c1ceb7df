import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { discoverMetadata } from '../src/index.ts'
import { startTinyServer, type TinyServer } from './helpers/tiny-server.ts'

let server: TinyServer

beforeAll(async () => {
  server = await startTinyServer()
})
afterAll(() => server.close())

describe('response body cap', () => {
  it('stops reading a chunked body without Content-Length past maxResponseBytes', async () => {
    let written = 0
    server.route('/.well-known/openid-configuration', (_req, res) => {
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
    await expect(
      discoverMetadata(server.url, { maxResponseBytes: 64 * 1024 }),
    ).rejects.toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
    })
    expect(written).toBeLessThan(8 * 1024 * 1024)
  })

  it('times out a body that trickles forever', async () => {
    server.route('/.well-known/openid-configuration', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"issuer":')
    })
    const started = Date.now()
    await expect(discoverMetadata(server.url, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    })
    expect(Date.now() - started).toBeLessThan(1500)
  })
})
