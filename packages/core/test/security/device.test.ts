/**
 * Device flow (RFC 8628) under a misbehaving provider: a timed-out poll backs off, a 503 with
 * Retry-After is waited out, `interval` / `expires_in` that are missing, zero or strings are
 * handled as documented, and a code that expires ends polling with DEVICE_CODE_EXPIRED.
 */
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it, vi } from 'vitest'
import { Client, type DevicePollProgress, discoverMetadata } from '../../src/index.ts'
import { refused, useProvider } from './harness.ts'

/** Waits for what a real HTTP round trip brings (generous: the machine may be loaded). */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 10 })

// Client and server share a clock driven by hand (started at the real time: ID tokens are also
// checked against the wall clock); a slow answer is the server's hold fault, not a delay.
const clock = new ManualClock(Date.now())
const p = useProvider({ deviceInterval: 1, clock })
const tv = async (timeoutMs?: number) =>
  new Client(await discoverMetadata(p.server.issuer), {
    clientId: 'tv',
    scope: 'openid profile',
    clock,
    ...(timeoutMs && { timeoutMs }),
  })

describe('polling faults', () => {
  it('a poll slower than timeoutMs backs off (interval doubled) and is not sent again', async () => {
    const client = await tv(1500)
    // interval 2 s; the first poll's answer (still pending) is held past timeoutMs; the client
    // backs off to 4 s without sending another poll; the user approves in between.
    p.server.control.setFaults({ device: { interval: 2 } })
    const device = await client.deviceAuthorization()
    const hold = p.server.control.hold({ endpoint: 'token', times: 1 })
    const progress: DevicePollProgress[] = []
    const polled = device.poll({ onPending: (e) => progress.push(e) })
    await clock.advance(2_000)
    await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
    await clock.advance(1_500)
    expect(progress).toEqual([expect.objectContaining({ reason: 'backoff', interval: 4 })])
    expect(p.hits('token')).toBe(0) // still held: not logged, and nothing else was sent
    p.server.control.approveDevice(device.userCode)
    hold.release()
    await eventually(() => expect(progress).toHaveLength(2))
    expect(progress[1]).toMatchObject({ reason: 'authorization_pending', interval: 4 })
    await clock.advance(4_000)
    const tokens = await polled
    expect(tokens.claims()?.sub).toBeDefined()
    expect(p.hits('token')).toBe(2)
  })

  it('503 with Retry-After waits that long, then succeeds', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    p.server.control.approveDevice(device.userCode)
    p.server.control.setFaults({ http: { token: { status: 503, retryAfter: '2', times: 1 } } })
    const progress: DevicePollProgress[] = []
    const polled = device.poll({ onPending: (e) => progress.push(e) })
    await clock.advance(1_000)
    await eventually(() => expect(progress).toHaveLength(1))
    expect(progress).toEqual([expect.objectContaining({ reason: 'backoff', interval: 2 })])
    await clock.advance(1_999) // 1 s interval + 2 s Retry-After
    expect(p.hits('token')).toBe(1)
    await clock.advance(1)
    await polled
    expect(p.hits('token')).toBe(2)
  })

  it('a device code that expires while pending ends with DEVICE_CODE_EXPIRED', async () => {
    p.server.control.setFaults({ device: { expiresIn: 2 } })
    const client = await tv()
    const device = await client.deviceAuthorization()
    const polled = device.poll()
    polled.catch(() => {})
    await clock.advance(1_000)
    await refused(polled, 'DEVICE_CODE_EXPIRED')
    expect(p.hits('token')).toBeLessThanOrEqual(2)
  })

  it('access_denied ends polling with ACCESS_DENIED', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    p.server.control.denyDevice(device.userCode)
    const polled = device.poll()
    polled.catch(() => {})
    await clock.advance(1_000)
    await refused(polled, 'ACCESS_DENIED')
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
    expect(device.expiresAt - Math.floor(clock.now() / 1000)).toBe(expected)
  })
})
