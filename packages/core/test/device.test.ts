import { DEMO_USERS } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { describe, expect, it, vi } from 'vitest'
import type { DevicePollProgress } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

/** Waits for what a real HTTP round trip brings (generous: the machine may be loaded). */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 10 })

// Client and server share a clock driven by hand: intervals pass without waiting. It starts at
// the real time, as ID tokens are also checked against the wall clock.
const clock = new ManualClock(Date.now())
const h = useReferenceServer({ deviceInterval: 1, deviceCodeTtl: 60, clock })
const alice = DEMO_USERS[0]!
const tv = (extra = {}) =>
  h.client({ clientId: 'tv', scope: 'openid profile offline_access', clock, ...extra })
const now = () => Math.floor(clock.now() / 1000)
const tokenPolls = () => h.server.control.requests({ endpoint: 'token' })

describe('device authorization grant', () => {
  it('shows the codes, reports pending polls, then returns validated tokens', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    expect(device.userCode).toEqual(expect.any(String))
    expect(device.verificationUri).toBe(`${h.server.issuer}/device`)
    expect(device.verificationUriComplete).toContain(encodeURIComponent(device.userCode))
    expect(device.interval).toBe(1)
    expect(device.expiresAt).toBe(now() + 60)
    const progress: DevicePollProgress[] = []
    const polled = device.poll({
      onPending: (p) => {
        progress.push(p)
        if (progress.length === 1) h.server.control.approveDevice(device.userCode)
      },
    })
    await clock.advance(1_000)
    await eventually(() => expect(progress).toHaveLength(1))
    expect(progress[0]).toMatchObject({ reason: 'authorization_pending', interval: 1 })
    await clock.advance(999)
    expect(tokenPolls()).toHaveLength(1)
    await clock.advance(1)
    const tokens = await polled
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(tokens.refreshToken).toEqual(expect.any(String))
    const polls = tokenPolls()
    expect(polls.length).toBe(2)
    expect(polls[1]!.time - polls[0]!.time).toBeGreaterThanOrEqual(1000)
  })

  it('adds 5 s to the interval on slow_down', async () => {
    const client = await tv()
    h.server.control.setFaults({ device: { slowDown: 1 } })
    const device = await client.deviceAuthorization()
    h.server.control.approveDevice(device.userCode)
    const progress: DevicePollProgress[] = []
    const polled = device.poll({ onPending: (p) => progress.push(p) })
    await clock.advance(1_000)
    await eventually(() => expect(progress).toHaveLength(1))
    expect(progress).toEqual([expect.objectContaining({ reason: 'slow_down', interval: 6 })])
    expect(device.interval).toBe(6)
    await clock.advance(5_999)
    expect(tokenPolls()).toHaveLength(1)
    await clock.advance(1)
    await polled
    const polls = tokenPolls()
    expect(polls[1]!.time - polls[0]!.time).toBeGreaterThanOrEqual(6000)
  })

  it('stops on access_denied', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    h.server.control.denyDevice(device.userCode)
    const polled = device.poll()
    polled.catch(() => {}) // settles while the clock moves; asserted below
    await clock.advance(1_000)
    await expect(polled).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      error: 'access_denied',
    })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(1)
  })

  it('stops on expired_token', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    h.server.control.setClockOffset(3600)
    try {
      const polled = device.poll()
      polled.catch(() => {}) // settles while the clock moves; asserted below
      await clock.advance(1_000)
      await expect(polled).rejects.toMatchObject({
        code: 'DEVICE_CODE_EXPIRED',
        error: 'expired_token',
      })
    } finally {
      h.server.control.setClockOffset(0)
    }
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(1)
  })

  it('stops locally once the device code has expired', async () => {
    const client = await tv()
    h.server.control.setFaults({ device: { expiresIn: 2 } })
    const device = await client.deviceAuthorization()
    const polled = device.poll()
    polled.catch(() => {}) // settles while the clock moves; asserted below
    await clock.advance(1_000) // one poll (pending); the next would be at the expiry
    await expect(polled).rejects.toMatchObject({ code: 'DEVICE_CODE_EXPIRED' })
    expect(tokenPolls()).toHaveLength(1)
  })

  it.each([
    ['a user_code with a terminal escape sequence', { userCode: 'WDJB\u001b[2J-MJHT' }],
    ['a user_code with a line break', { userCode: 'WDJB\nMJHT' }],
    ['a javascript: verification_uri', { verificationUri: 'javascript:alert(1)' }],
    ['a verification_uri that is no URL', { verificationUri: 'go to the website' }],
    ['a data: verification_uri_complete', { verificationUriComplete: 'data:text/html,hi' }],
    ['a verification_uri_complete of another type', { verificationUriComplete: 42 }],
    [
      'a verification_uri with a control character',
      { verificationUri: 'https://op.example/device\u0007' },
    ],
  ])('refuses %s (INVALID_RESPONSE), before any poll', async (_, device) => {
    const client = await tv()
    h.server.control.setFaults({ device })
    await expect(client.deviceAuthorization()).rejects.toMatchObject({
      name: 'ValidationError',
      code: 'INVALID_RESPONSE',
    })
    expect(tokenPolls()).toHaveLength(0)
  })

  it('takes a null verification_uri_complete as none', async () => {
    const client = await tv()
    h.server.control.setFaults({ device: { verificationUriComplete: null } })
    expect((await client.deviceAuthorization()).verificationUriComplete).toBeUndefined()
  })

  it('stops on the AbortSignal', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    const controller = new AbortController()
    const polled = device.poll({ signal: controller.signal })
    await clock.advance(1_000)
    await eventually(() => expect(tokenPolls()).toHaveLength(1))
    await clock.advance(500) // waiting for the next poll
    controller.abort()
    await expect(polled).rejects.toMatchObject({ code: 'ABORTED' })
    expect(clock.pendingTimers).toBe(0)
  })

  it.each([
    [undefined, 5],
    [0, 1],
    ['3', 3],
    ['soon', 5],
    [-4, 1],
  ])('interval %j becomes %i s', async (interval, expected) => {
    h.server.control.setFaults({ device: { interval } })
    const device = await (await tv()).deviceAuthorization()
    expect(device.interval).toBe(expected)
  })

  it.each([
    ['120', 120],
    [undefined, 600],
    [0, 600],
    ['never', 600],
  ])('expires_in %j becomes %i s', async (expiresIn, expected) => {
    h.server.control.setFaults({ device: { expiresIn } })
    const device = await (await tv()).deviceAuthorization()
    expect(device.expiresAt - now()).toBe(expected)
  })

  it('waits Retry-After on a 503 poll, then goes on', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    h.server.control.approveDevice(device.userCode)
    h.server.control.setFaults({ http: { token: { status: 503, retryAfter: '2', times: 1 } } })
    const progress: DevicePollProgress[] = []
    const polled = device.poll({ onPending: (p) => progress.push(p) })
    await clock.advance(1_000)
    await eventually(() => expect(progress).toHaveLength(1))
    expect(progress).toEqual([expect.objectContaining({ reason: 'backoff', interval: 2 })])
    await clock.advance(1_999)
    expect(tokenPolls()).toHaveLength(1)
    await clock.advance(1)
    await polled
    const polls = tokenPolls()
    expect(polls[1]!.time - polls[0]!.time).toBeGreaterThanOrEqual(2000)
  })

  it('backs off once after a poll slower than timeoutMs, whose answer still counts', async () => {
    const client = await tv({ timeoutMs: 5_000 })
    const device = await client.deviceAuthorization()
    h.server.control.approveDevice(device.userCode)
    // The slow answer is an error, so the poll did not spend the device code.
    h.server.control.setFaults({ http: { token: { status: 503, times: 1 } } })
    const hold = h.server.control.hold({ endpoint: 'token', times: 1 })
    const progress: DevicePollProgress[] = []
    const polled = device.poll({ onPending: (p) => progress.push(p) })
    await clock.advance(1_000)
    await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
    await clock.advance(5_000) // slower than timeoutMs: the interval doubles once
    expect(progress).toEqual([expect.objectContaining({ reason: 'backoff', interval: 2 })])
    hold.release()
    await eventually(() => expect(progress).toHaveLength(2))
    // The 503 that finally came does not double it again.
    expect(progress[1]).toMatchObject({ reason: 'backoff', interval: 2 })
    await clock.advance(1_999)
    expect(tokenPolls()).toHaveLength(1)
    await clock.advance(1)
    expect((await polled).claims()?.sub).toBe(alice.sub)
  })
})
