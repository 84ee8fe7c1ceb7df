/**
 * Regression: deviceLogin listened to its `signal` only after loading the `qrcode` package, so
 * an abort that came while it loaded (a Cancel pressed as the screen opened) was never heard:
 * the device authorization was requested anyway and polled until the code expired.
 */
import { discover, isOpenRpError } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { ManualClock, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { deviceLogin } from '../src/device-login.ts'
import { driveUntilSettled } from './helpers/clock.ts'

const clock = new ManualClock(Date.now())
let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    deviceInterval: 1,
    deviceCodeTtl: 30,
    clock,
  })
})
afterAll(() => server.close())

it('an abort while the QR code package loads cancels the login before anything is sent', async () => {
  const client = await discover(server.issuer, { clientId: 'tv', scope: 'openid', clock })
  const controller = new AbortController()
  const done = deviceLogin(client, { output: null, qr: true, signal: controller.signal })
  // deviceLogin is now awaiting the qrcode import.
  controller.abort()
  // Without the fix the login polls on until the code's 30 s are over (DEVICE_CODE_EXPIRED).
  const error = await driveUntilSettled(clock, done, 1_000).catch((e: unknown) => e)
  expect(isOpenRpError(error, 'ABORTED')).toBe(true)
  expect(server.control.requests({ endpoint: 'device_authorization' })).toHaveLength(0)
  expect(process.listenerCount('SIGINT')).toBe(0)
})
