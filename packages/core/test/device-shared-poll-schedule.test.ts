/**
 * Regression: two poll() calls on one device authorization (a TV app that starts polling again
 * while its first poll() still waits) each kept a schedule of their own, so the provider saw
 * polls at twice the interval's rate and answered slow_down (RFC 8628 §3.5). Now the second
 * poll() joins the first one's loop: one poll per interval, the same reports and the same
 * tokens for both. Time is one injected clock for the client and the reference server.
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
const clock = new ManualClock(Date.now())
const h = useReferenceServer({ deviceInterval: 5, deviceCodeTtl: 120, clock })
const tv = () =>
  h.client({ clientId: 'tv', scope: 'openid profile offline_access', timeoutMs: 5_000, clock })
const polls = () => h.server.control.requests({ endpoint: 'token', grantType: DEVICE_GRANT })

describe('two poll() calls on one device authorization', () => {
  it('share one schedule: one poll per interval, no slow_down, the same tokens', async () => {
    const device = await (await tv()).deviceAuthorization()
    const start = clock.now()
    const first: DevicePollProgress[] = []
    const second: DevicePollProgress[] = []
    const firstPoll = device.poll({ onPending: (p) => first.push(p) })
    await clock.advance(2_000)
    const secondPoll = device.poll({ onPending: (p) => second.push(p) })

    await clock.advance(3_000) // 5 s: the first poll
    await eventually(() => expect(first).toHaveLength(1))
    await eventually(() => expect(second).toHaveLength(1))
    await clock.advance(2_000) // 7 s: the second poll() made its own poll here
    await clock.advance(3_000) // 10 s
    await eventually(() => expect(first).toHaveLength(2))
    await eventually(() => expect(second).toHaveLength(2))
    h.server.control.approveDevice(device.userCode)
    await clock.advance(5_000) // 15 s
    const [a, b] = await Promise.all([firstPoll, secondPoll])

    expect(a.claims()?.sub).toBe(alice.sub)
    expect(b).toBe(a)
    expect(polls().map((p) => [p.time - start, p.status])).toEqual([
      [5_000, 400],
      [10_000, 400],
      [15_000, 200],
    ])
    const pending = { reason: 'authorization_pending', interval: 5 }
    expect(first).toEqual([expect.objectContaining(pending), expect.objectContaining(pending)])
    expect(second).toEqual(first)
    expect(device.interval).toBe(5)
  })

  it('a caller that lets go leaves the loop to the other, on the same schedule', async () => {
    const device = await (await tv()).deviceAuthorization()
    const start = clock.now()
    const controller = new AbortController()
    const firstPoll = device.poll({ signal: controller.signal })
    await clock.advance(2_000)
    const secondPoll = device.poll()
    controller.abort()
    await expect(firstPoll).rejects.toMatchObject({ code: 'ABORTED' })
    h.server.control.approveDevice(device.userCode)
    await clock.advance(3_000) // 5 s: the first caller's schedule
    await eventually(() => expect(polls()).toHaveLength(1))
    expect((await secondPoll).claims()?.sub).toBe(alice.sub)
    expect(polls().map((p) => [p.time - start, p.status])).toEqual([[5_000, 200]])
  })

  it('an onPending that throws rejects its own poll() only: the other goes on', async () => {
    const device = await (await tv()).deviceAuthorization()
    const failure = new Error('render failed')
    const firstPoll = device.poll({
      onPending: () => {
        throw failure
      },
    })
    const firstFails = expect(firstPoll).rejects.toBe(failure)
    const secondPoll = device.poll()
    await clock.advance(5_000)
    await firstFails
    h.server.control.approveDevice(device.userCode)
    await clock.advance(5_000)
    expect((await secondPoll).claims()?.sub).toBe(alice.sub)
    expect(polls().map((p) => p.status)).toEqual([400, 200])
  })
})
