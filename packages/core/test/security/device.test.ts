/**
 * Device flow (RFC 8628) under a misbehaving provider: a timed-out poll backs off, a 503 with
 * Retry-After is waited out, `interval` / `expires_in` that are missing, zero or strings are
 * handled as documented, and a code that expires ends polling with DEVICE_CODE_EXPIRED.
 */
import { describe, expect, it } from 'vitest'
import { Client, type DevicePollProgress, discoverMetadata } from '../../src/index.ts'
import { refused, useProvider } from './harness.ts'

const p = useProvider({ deviceInterval: 1 })
const tv = async (timeoutMs?: number) =>
  new Client(await discoverMetadata(p.server.issuer), {
    clientId: 'tv',
    scope: 'openid profile',
    ...(timeoutMs && { timeoutMs }),
  })

describe('polling faults', () => {
  it('a poll that times out backs off (interval doubled), then succeeds', async () => {
    const client = await tv(1500)
    // interval 2 s; the first poll hangs 3 s on the server (still pending when it answers),
    // the client gives up after 1.5 s and backs off to 4 s; the user approves in between.
    p.server.control.setFaults({
      device: { interval: 2 },
      http: { token: { delayMs: 3000, times: 1 } },
    })
    const device = await client.deviceAuthorization()
    const progress: DevicePollProgress[] = []
    const approve = () => setTimeout(() => p.server.control.approveDevice(device.userCode), 2500)
    const tokens = await device.poll({
      onPending: (e) => {
        progress.push(e)
        approve()
      },
    })
    expect(tokens.claims()?.sub).toBeDefined()
    expect(progress).toEqual([expect.objectContaining({ reason: 'backoff', interval: 4 })])
  })

  it('503 with Retry-After waits that long, then succeeds', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    p.server.control.approveDevice(device.userCode)
    p.server.control.setFaults({ http: { token: { status: 503, retryAfter: '2', times: 1 } } })
    const progress: DevicePollProgress[] = []
    const started = Date.now()
    await device.poll({ onPending: (e) => progress.push(e) })
    expect(progress).toEqual([expect.objectContaining({ reason: 'backoff', interval: 2 })])
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900) // 1 s interval + 2 s Retry-After
  })

  it('a device code that expires while pending ends with DEVICE_CODE_EXPIRED', async () => {
    p.server.control.setFaults({ device: { expiresIn: 2 } })
    const client = await tv()
    const device = await client.deviceAuthorization()
    await refused(device.poll(), 'DEVICE_CODE_EXPIRED')
    expect(p.hits('token')).toBeLessThanOrEqual(2)
  })

  it('access_denied ends polling with ACCESS_DENIED', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    p.server.control.denyDevice(device.userCode)
    await refused(device.poll(), 'ACCESS_DENIED')
  })
})

describe('interval and expires_in as providers really send them', () => {
  it.each<[string, unknown, number]>([
    ['missing', undefined, 5],
    ['zero', 0, 1],
    ['a numeric string', '3', 3],
    ['garbage', 'soon', 5],
    ['negative', -4, 1],
  ])('interval %s → %i s', async (_name, interval, expected) => {
    p.server.control.setFaults({ device: { interval } })
    const device = await (await tv()).deviceAuthorization()
    expect(device.interval).toBe(expected)
  })

  it.each<[string, unknown, number]>([
    ['missing', undefined, 600],
    ['zero', 0, 600],
    ['a numeric string', '30', 30],
    ['garbage', 'later', 600],
  ])('expires_in %s → %i s', async (_name, expiresIn, expected) => {
    p.server.control.setFaults({ device: { expiresIn } })
    const device = await (await tv()).deviceAuthorization()
    const left = device.expiresAt - Math.floor(Date.now() / 1000)
    expect(left).toBeGreaterThanOrEqual(expected - 2)
    expect(left).toBeLessThanOrEqual(expected)
  })
})
