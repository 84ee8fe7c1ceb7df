/**
 * Regression: deviceLogin used to abort at the code's expiry whatever was in flight, so a poll
 * sent just before expiry, after the user approved, lost its tokens (the provider had spent the
 * device code). Now a sent poll is waited for. The clock is driven by hand and the provider's
 * answer is held by the reference server's hold fault.
 */
import { discover } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { ManualClock, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { deviceLogin } from '../src/device-login.ts'
import type { DeviceLoginStatus } from '../src/device-prompt.ts'

/** Waits for what a real HTTP round trip brings (generous: the machine may be loaded). */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 10 })

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
// Two minutes behind the wall clock: a timer of real time set for the code's expiry (what the
// old code had) would fire at once; the clock of the client says when the code expires.
const clock = new ManualClock(Date.now() - 120_000)
let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    deviceInterval: 1,
    deviceCodeTtl: 3,
    clock,
  })
})
afterAll(() => server.close())

it('a poll in flight when the code expires still delivers the tokens of an approval', async () => {
  const client = await discover(server.issuer, { clientId: 'tv', scope: 'openid', clock })
  const hold = server.control.hold({ endpoint: 'token', grantType: DEVICE_GRANT, times: 1 })
  const statuses: DeviceLoginStatus[] = []
  let prompted = false
  const done = deviceLogin(client, {
    output: null,
    onPrompt: (p) => {
      server.control.approveDevice(p.userCode)
      prompted = true
    },
    onStatus: (s) => statuses.push(s),
  })
  await eventually(() => expect(prompted).toBe(true))
  await clock.advance(1_000) // the first poll leaves; the provider spends the approved code
  await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
  await clock.advance(5_000) // the code's 3 s are over while the answer is on its way
  hold.release()
  const tokens = await done
  expect(tokens.claims()?.sub).toEqual(expect.any(String))
  expect(statuses.at(-1)?.state).toBe('approved')
  expect(server.control.requests({ endpoint: 'token', grantType: DEVICE_GRANT })).toHaveLength(1)
})

it('with nothing in flight, expiry still ends the login by the clock', async () => {
  const client = await discover(server.issuer, { clientId: 'tv', scope: 'openid', clock })
  let prompted = false
  const done = deviceLogin(client, {
    output: null,
    onPrompt: () => {
      prompted = true
    },
  })
  done.catch(() => {})
  await eventually(() => expect(prompted).toBe(true))
  await clock.advance(1_000)
  await eventually(() =>
    expect(server.control.requests({ endpoint: 'token', grantType: DEVICE_GRANT })).toHaveLength(2),
  )
  await clock.advance(1_000)
  await expect(done).rejects.toMatchObject({ code: 'DEVICE_CODE_EXPIRED' })
})
