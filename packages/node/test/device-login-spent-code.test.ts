/**
 * The store refuses to delete the device code once it was approved and spent: the next run
 * found it, resumed it, and its first poll ended the login with INVALID_GRANT. It now drops
 * the spent code and asks for a new one.
 */
import { type Client, discover, type OpenRpError } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { fixedKeyPairs, ManualClock } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type DeviceLoginPrompt, deviceLogin } from '../src/device-login.ts'
import { RedisStore } from '../src/redis-store.ts'
import { capture } from './helpers/capture.ts'
import { useRedis } from './helpers/redis.ts'

const KEY = 'openrp:device-authorization:tv'
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

const redis = useRedis()
// Client and server share a clock driven by hand: the polling interval passes at once.
const clock = new ManualClock(Date.now())
let server: ReferenceServer
let client: Client
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    deviceInterval: 1,
    clock,
  })
  client = await discover(server.issuer, { clientId: 'tv', scope: 'openid profile', clock })
})
afterAll(() => server?.close())

/** One run of the app: approves each code on the reference server as soon as it is shown. */
async function run(store: RedisStore) {
  const warnings: OpenRpError[] = []
  const prompts: DeviceLoginPrompt[] = []
  const output = capture()
  const done = deviceLogin(client, {
    store,
    output,
    cancelOnSigint: false,
    onWarning: (w) => warnings.push(w),
    onPrompt: (p) => {
      prompts.push(p)
      // A spent code cannot be approved again (the provider's page says so).
      if (!p.resumed) server.control.approveDevice(p.userCode)
    },
  })
  let settled = false
  done.then(
    () => (settled = true),
    () => (settled = true),
  )
  // Each code shown (and approved) is polled one interval later.
  let polled = 0
  while (!settled) {
    await vi.waitFor(() => expect(settled || prompts.length > polled).toBe(true), {
      timeout: 10_000,
      interval: 10,
    })
    if (settled) break
    polled = prompts.length
    await clock.advance(1_000)
  }
  return { outcome: await done.catch((e: unknown) => e), warnings, prompts, output: output.text }
}

describe('deviceLogin after a run whose store could not delete the spent code', () => {
  it('drops the spent code on its first poll and signs in with a new one', async () => {
    const store = new RedisStore({ url: redis.server.url, prefix: 'spent:' })
    try {
      // First run: approved, but the store refuses DEL (an ACL here; an outage alike).
      await redis.raw.sendCommand(['ACL', 'SETUSER', 'default', '-del'])
      const first = await run(store)
      await redis.raw.sendCommand(['ACL', 'SETUSER', 'default', '+del'])
      expect(first.outcome).toMatchObject({ accessToken: expect.any(String) })
      expect(await store.get(KEY)).toBeDefined()

      // Next run: the kept code is the spent one.
      const second = await run(store)
      expect(second.outcome).toMatchObject({ accessToken: expect.any(String) })
      expect(second.prompts.map((p) => p.resumed)).toEqual([true, false])
      expect(second.prompts[1]?.userCode).not.toBe(first.prompts[0]?.userCode)
      expect(second.warnings.map((w) => w.code)).toEqual(['INVALID_GRANT'])
      expect(second.output).toContain('can no longer be used; starting a new one')
      expect(server.control.requests({ endpoint: 'device_authorization' })).toHaveLength(2)
      const polls = server.control.requests({ endpoint: 'token', grantType: DEVICE_GRANT })
      expect(polls.map((p) => p.status)).toEqual([200, 400, 200])
      expect(await store.get(KEY)).toBeUndefined()
    } finally {
      await redis.raw.sendCommand(['ACL', 'SETUSER', 'default', '+del'])
      await store.close()
    }
  })
})
