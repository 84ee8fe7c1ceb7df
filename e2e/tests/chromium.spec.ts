import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, test } from '@playwright/test'

// The harness itself: the configured Chromium starts and, on a loopback origin (a secure
// context), has the Web APIs openrp relies on.
let server: Server
let origin: string
test.beforeAll(async () => {
  server = createServer((_req, res) => res.end('<!doctype html><title>openrp</title>'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
test.afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

test('real Chromium on a loopback origin exposes WebCrypto, IndexedDB, Web Locks and BroadcastChannel', async ({
  page,
}) => {
  await page.goto(origin)
  const apis = await page.evaluate(() => ({
    secure: isSecureContext,
    subtle: typeof crypto.subtle?.generateKey,
    indexedDB: typeof indexedDB?.open,
    locks: typeof navigator.locks?.request,
    broadcast: typeof BroadcastChannel,
  }))
  expect(apis).toEqual({
    secure: true,
    subtle: 'function',
    indexedDB: 'function',
    locks: 'function',
    broadcast: 'function',
  })
})
