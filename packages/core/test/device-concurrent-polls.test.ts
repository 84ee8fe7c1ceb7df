/**
 * Regression: a poll() started while another poll() of the same device authorization had its
 * request on the wire (a TV app that starts polling again, e.g. when the network comes back,
 * and lets the old poll go at its next report) took that request's answer too, and each counted
 * it: one `slow_down` grew the interval by 10 s instead of 5 (RFC 8628 §3.5), one slow answer
 * doubled it twice. Now the first poll() to take an answer counts it, the others follow it.
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
const h = useReferenceServer({ deviceInterval: 1, deviceCodeTtl: 60, clock })
const tv = () =>
  h.client({ clientId: 'tv', scope: 'openid profile offline_access', timeoutMs: 5_000, clock })
const polls = () => h.server.control.requests({ endpoint: 'token', grantType: DEVICE_GRANT })

/** A poll() whose request is held on its way, and a second poll() started meanwhile. */
async function twoPollsOnOneRequest() {
  const device = await (await tv()).deviceAuthorization()
  const hold = h.server.control.hold({ endpoint: 'token', grantType: DEVICE_GRANT, times: 1 })
  const old = new AbortController()
  // The old poll() lets go at its next report, as @openrp/browser's device login does.
  const first = device.poll({ signal: old.signal, onPending: () => old.abort() })
  first.catch(() => {})
  await clock.advance(1_000)
  await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
  const progress: DevicePollProgress[] = []
  const second = device.poll({ onPending: (p) => progress.push(p) })
  return { device, hold, first, second, progress }
}

describe('a poll() started while another poll() has a request on its way', () => {
  it('counts a slow_down once: the interval grows by 5 s', async () => {
    h.server.control.setFaults({ device: { slowDown: 1 } })
    const { device, hold, first, second, progress } = await twoPollsOnOneRequest()
    hold.release()
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' })
    await eventually(() => expect(progress).toHaveLength(1))
    expect(progress[0]).toMatchObject({ reason: 'slow_down', interval: 6 })
    expect(device.interval).toBe(6)

    h.server.control.approveDevice(device.userCode)
    await clock.advance(6_000)
    expect((await second).claims()?.sub).toBe(alice.sub)
    expect(polls().map((p) => p.status)).toEqual([400, 200])
  })

  it('counts a slow answer once: the interval doubles once', async () => {
    const { device, hold, second, progress } = await twoPollsOnOneRequest()
    await clock.advance(5_000) // timeoutMs passes for both
    expect(device.interval).toBe(2)
    expect(progress).toEqual([expect.objectContaining({ reason: 'backoff', interval: 2 })])
    h.server.control.approveDevice(device.userCode)
    hold.release()
    await eventually(() => expect(progress).toHaveLength(2))
    await clock.advance(2_000)
    expect((await second).claims()?.sub).toBe(alice.sub)
    expect(polls()).toHaveLength(2)
  })
})
