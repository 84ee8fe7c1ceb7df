/**
 * Regression: a device poll already sent is never abandoned. Once the user approved, the first
 * poll that reaches the provider spends the device code; a poll that "timed out" and was sent
 * again only got invalid_grant, and the tokens were lost. Time is the client's (and the
 * server's) injected clock; the provider's answer is held by the reference server's hold fault.
 */
import { DEMO_USERS } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it, vi } from 'vitest'
import type { DevicePollProgress } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

/** Waits for what a real HTTP round trip brings (generous: the machine may be loaded). */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 10 })

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
const alice = DEMO_USERS[0]!
// One clock for both sides, started at the real time (ID tokens are also checked by wall time).
const clock = new ManualClock(Date.now())
const h = useReferenceServer({ deviceInterval: 1, deviceCodeTtl: 60, clock })
const tv = () =>
  h.client({ clientId: 'tv', scope: 'openid profile offline_access', timeoutMs: 5_000, clock })
const polls = () => h.server.control.requests({ endpoint: 'token', grantType: DEVICE_GRANT })

describe('a sent device poll is never abandoned', () => {
  it('a poll slower than timeoutMs after approval is waited for, not sent again: its tokens arrive', async () => {
    const device = await (await tv()).deviceAuthorization()
    h.server.control.approveDevice(device.userCode)
    const hold = h.server.control.hold({ endpoint: 'token', grantType: DEVICE_GRANT, times: 1 })
    const progress: DevicePollProgress[] = []
    const polled = device.poll({ onPending: (p) => progress.push(p) })
    await clock.advance(1_000) // the interval: the poll leaves
    await hold.waitUntilHeld(1, { timeoutMs: 10_000 }) // the code is spent; the answer waits
    await clock.advance(5_000) // timeoutMs passes
    expect(progress).toEqual([expect.objectContaining({ reason: 'backoff', interval: 2 })])
    hold.release()
    const tokens = await polled
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(tokens.refreshToken).toEqual(expect.any(String))
    expect(polls()).toHaveLength(1)
  })

  it('an aborted wait keeps the sent poll: the next poll() takes its answer without a new request', async () => {
    const device = await (await tv()).deviceAuthorization()
    h.server.control.approveDevice(device.userCode)
    const hold = h.server.control.hold({ endpoint: 'token', grantType: DEVICE_GRANT, times: 1 })
    const controller = new AbortController()
    const first = device.poll({ signal: controller.signal })
    await clock.advance(1_000)
    await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
    controller.abort()
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' })
    hold.release()
    const tokens = await device.poll()
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(polls()).toHaveLength(1)
  })
})

describe('device polling runs on the injected clock', () => {
  it('interval and slow_down are counted on the clock', async () => {
    const device = await (await tv()).deviceAuthorization()
    const progress: DevicePollProgress[] = []
    const polled = device.poll({ onPending: (p) => progress.push(p) })
    await clock.advance(999)
    expect(polls()).toHaveLength(0)
    await clock.advance(1)
    await eventually(() => expect(progress).toHaveLength(1))
    expect(progress[0]).toMatchObject({ reason: 'authorization_pending', interval: 1 })
    h.server.control.setFaults({ device: { slowDown: 1 } })
    await clock.advance(1_000)
    await eventually(() => expect(progress).toHaveLength(2))
    expect(progress[1]).toMatchObject({ reason: 'slow_down', interval: 6 })
    h.server.control.approveDevice(device.userCode)
    await clock.advance(5_999)
    expect(polls()).toHaveLength(2)
    await clock.advance(1)
    expect((await polled).claims()?.sub).toBe(alice.sub)
    expect(polls()).toHaveLength(3)
  })

  it('the device code expires by the clock, without waiting for it', async () => {
    h.server.control.setFaults({ device: { expiresIn: 3 } })
    const device = await (await tv()).deviceAuthorization()
    expect(device.expiresAt).toBe(Math.floor(clock.now() / 1000) + 3)
    const polled = device.poll()
    polled.catch(() => {})
    await clock.advance(1_000)
    await eventually(() => expect(polls()).toHaveLength(1))
    await clock.advance(1_000)
    await eventually(() => expect(polls()).toHaveLength(2))
    await expect(polled).rejects.toMatchObject({ code: 'DEVICE_CODE_EXPIRED' })
    expect(polls()).toHaveLength(2)
  })
})
