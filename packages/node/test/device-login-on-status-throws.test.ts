/**
 * Regression: an `onStatus` that threw when told 'approved' made deviceLogin() reject with its
 * exception, after the provider had issued the tokens and spent the device code: the tokens
 * were lost and the user had to approve a new code. What onStatus throws no longer changes how
 * the login ends; the first exception goes to onWarning (and a note to `output`).
 */
import { type Client, discover, MemoryStore, type OpenRpError } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { fixedKeyPairs, ManualClock } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type DeviceLoginPrompt, deviceLogin } from '../src/device-login.ts'
import type { DeviceLoginStatus } from '../src/device-prompt.ts'
import { capture } from './helpers/capture.ts'

const KEY = 'openrp:device-authorization:tv'

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

describe('deviceLogin with an onStatus that throws', () => {
  it("told 'approved', still resolves with the tokens; the exception is a warning", async () => {
    const store = new MemoryStore()
    const output = capture()
    const warnings: OpenRpError[] = []
    const told: DeviceLoginStatus['state'][] = []
    const boom = new Error('the TV screen is gone')
    let prompt: DeviceLoginPrompt | undefined
    const done = deviceLogin(client, {
      output,
      store,
      cancelOnSigint: false,
      onWarning: (w) => warnings.push(w),
      onPrompt: (p) => {
        prompt = p
        server.control.approveDevice(p.userCode)
      },
      onStatus: ({ state }) => {
        told.push(state)
        if (state === 'approved') throw boom
      },
    })
    await vi.waitFor(() => expect(prompt).toBeDefined(), { timeout: 10_000, interval: 10 })
    await clock.advance(1_000)
    const tokens = await done
    expect(tokens.accessToken).toBeTruthy()
    expect(await client.userinfo(tokens)).toMatchObject({ sub: expect.any(String) })
    expect(told).toEqual(['waiting', 'approved'])
    expect(warnings.map((w) => w.code)).toEqual(['INVALID_ARGUMENT'])
    expect(warnings[0]?.cause).toBe(boom)
    expect(output.text).toContain('onStatus callback failed')
    expect(output.text).toContain('You are signed in')
    // The spent code is not kept for a resume.
    expect(await store.get(KEY)).toBeUndefined()
  })

  it('that throws at every status reports it once and still ends with the tokens', async () => {
    const warnings: OpenRpError[] = []
    let prompt: DeviceLoginPrompt | undefined
    let calls = 0
    const done = deviceLogin(client, {
      output: null,
      cancelOnSigint: false,
      onWarning: (w) => warnings.push(w),
      onPrompt: (p) => {
        prompt = p
      },
      onStatus: () => {
        calls++
        throw new TypeError('not a function')
      },
    })
    await vi.waitFor(() => expect(prompt).toBeDefined(), { timeout: 10_000, interval: 10 })
    // One poll finds it pending (a status), then the approval brings the tokens.
    await clock.advance(1_000)
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(2), {
      timeout: 10_000,
      interval: 10,
    })
    server.control.approveDevice(prompt!.userCode)
    await clock.advance(1_000)
    expect((await done).accessToken).toBeTruthy()
    expect(calls).toBeGreaterThanOrEqual(3)
    expect(warnings.map((w) => w.code)).toEqual(['INVALID_ARGUMENT'])
  })
})
