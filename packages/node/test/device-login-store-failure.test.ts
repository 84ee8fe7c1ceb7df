import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Client, discover, type OpenRpError } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { ManualClock, type RedisServer, startRedis, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { type DeviceLoginPrompt, deviceLogin } from '../src/device-login.ts'
import { FileStore } from '../src/file-store.ts'
import { RedisStore } from '../src/redis-store.ts'
import { capture } from './helpers/capture.ts'

const KEY = 'openrp:device-authorization:tv'

// Client and server share a clock driven by hand: the polling interval passes at once.
const clock = new ManualClock(Date.now())
let server: ReferenceServer
let client: Client
let dir: string
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    deviceInterval: 1,
    clock,
  })
  client = await discover(server.issuer, { clientId: 'tv', scope: 'openid profile', clock })
  dir = await mkdtemp(join(tmpdir(), 'openrp-device-store-'))
})
afterAll(async () => {
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => {
  server.control.resetFaults()
  server.control.clearRequests()
})

/** Logs in, approving on the reference server as soon as the code is shown. */
async function login(options: Parameters<typeof deviceLogin>[1]) {
  const warnings: OpenRpError[] = []
  const output = capture()
  let prompt: DeviceLoginPrompt | undefined
  const done = deviceLogin(client, {
    output,
    cancelOnSigint: false,
    onWarning: (w) => warnings.push(w),
    onPrompt: (p) => {
      prompt = p
      server.control.approveDevice(p.userCode)
    },
    ...options,
  })
  // Once the code is shown (and approved), one interval brings the tokens.
  await vi.waitFor(() => expect(prompt).toBeDefined(), { timeout: 10_000, interval: 10 })
  await clock.advance(1_000)
  const tokens = await done
  return { tokens, warnings, output: output.text, prompt: prompt! }
}

describe('deviceLogin when its store fails', () => {
  it('a corrupt FileStore entry counts as nothing saved: warned, removed, login completes', async () => {
    const store = new FileStore({ dir })
    await store.set(KEY, { placeholder: true })
    const torn = `{"v":1,"key":"${KEY}","value":{"version":1,`
    await writeFile(store.pathOf(KEY), torn)
    const { tokens, warnings, output, prompt } = await login({ store })
    expect(tokens.accessToken).toBeTruthy()
    expect(prompt.resumed).toBe(false)
    expect(warnings.map((w) => w.code)).toEqual(['STORE_ERROR'])
    expect(output).toContain('could not be read')
    expect(server.control.requests({ endpoint: 'device_authorization' })).toHaveLength(1)
    // The damaged entry was replaced, then forgotten once approved.
    await expect(readFile(store.pathOf(KEY), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a FileStore that can be neither read nor written: resume unavailable, login completes', async () => {
    // The store's directory is a file: every read finds nothing, every write fails.
    const path = join(dir, 'not-a-dir')
    await writeFile(path, 'x')
    const { tokens, warnings, output } = await login({ store: new FileStore({ dir: path }) })
    expect(tokens.accessToken).toBeTruthy()
    expect(warnings.map((w) => w.code)).toEqual(['STORE_ERROR', 'STORE_ERROR'])
    expect(output).toContain('could not be read')
    expect(output).toContain('cannot be resumed')
  })

  describe('on a RedisStore whose redis-server is stopped', () => {
    let redis: RedisServer
    beforeAll(async () => {
      redis = await startRedis()
    })
    afterAll(() => redis?.stop())

    it('login completes; the failed read and the failed write are warned about', async () => {
      const store = new RedisStore({ url: redis.url, connectTimeoutMs: 300 })
      try {
        await store.set('warm-up', 1)
        await redis.stop()
        const { tokens, warnings } = await login({ store })
        expect(tokens.accessToken).toBeTruthy()
        expect(warnings.map((w) => w.code)).toEqual(['STORE_ERROR', 'STORE_ERROR'])
        expect(
          server.control
            .requests({
              endpoint: 'token',
              grantType: 'urn:ietf:params:oauth:grant-type:device_code',
            })
            .at(-1)?.status,
        ).toBe(200)
      } finally {
        await store.close()
      }
    })
  })
})
