import { DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import type { DevicePollProgress } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer({ deviceInterval: 1, deviceCodeTtl: 60 })
const alice = DEMO_USERS[0]!
const tv = (extra = {}) =>
  h.client({ clientId: 'tv', scope: 'openid profile offline_access', ...extra })

describe('device authorization grant', () => {
  it('shows the codes, reports pending polls, then returns validated tokens', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    expect(device.userCode).toEqual(expect.any(String))
    expect(device.verificationUri).toBe(`${h.server.issuer}/device`)
    expect(device.verificationUriComplete).toContain(encodeURIComponent(device.userCode))
    expect(device.interval).toBe(1)
    expect(device.expiresAt).toBeGreaterThan(Date.now() / 1000 + 50)
    const progress: DevicePollProgress[] = []
    const tokens = await device.poll({
      onPending: (p) => {
        progress.push(p)
        if (progress.length === 1) h.server.control.approveDevice(device.userCode)
      },
    })
    expect(progress[0]).toMatchObject({ reason: 'authorization_pending', interval: 1 })
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(tokens.refreshToken).toEqual(expect.any(String))
    const polls = h.server.control.requests({ endpoint: 'token' })
    expect(polls.length).toBe(2)
    expect(polls[1]!.time - polls[0]!.time).toBeGreaterThanOrEqual(950)
  })

  it('adds 5 s to the interval on slow_down', async () => {
    const client = await tv()
    h.server.control.setFaults({ device: { slowDown: 1 } })
    const device = await client.deviceAuthorization()
    h.server.control.approveDevice(device.userCode)
    const progress: DevicePollProgress[] = []
    await device.poll({ onPending: (p) => progress.push(p) })
    expect(progress).toEqual([expect.objectContaining({ reason: 'slow_down', interval: 6 })])
    expect(device.interval).toBe(6)
    const polls = h.server.control.requests({ endpoint: 'token' })
    expect(polls[1]!.time - polls[0]!.time).toBeGreaterThanOrEqual(5900)
  }, 20_000)

  it('stops on access_denied', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    h.server.control.denyDevice(device.userCode)
    await expect(device.poll()).rejects.toMatchObject({
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
      await expect(device.poll()).rejects.toMatchObject({
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
    await expect(device.poll()).rejects.toMatchObject({ code: 'DEVICE_CODE_EXPIRED' })
  })

  it('stops on the AbortSignal', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 1500)
    await expect(device.poll({ signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    })
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
    expect(device.expiresAt - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(expected - 2)
    expect(device.expiresAt - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(expected)
  })

  it('waits Retry-After on a 503 poll, then goes on', async () => {
    const client = await tv()
    const device = await client.deviceAuthorization()
    h.server.control.approveDevice(device.userCode)
    h.server.control.setFaults({ http: { token: { status: 503, retryAfter: '2', times: 1 } } })
    const progress: DevicePollProgress[] = []
    await device.poll({ onPending: (p) => progress.push(p) })
    expect(progress).toEqual([expect.objectContaining({ reason: 'backoff', interval: 2 })])
    const polls = h.server.control.requests({ endpoint: 'token' })
    expect(polls[1]!.time - polls[0]!.time).toBeGreaterThanOrEqual(1900)
  })

  it('backs off after a timed-out poll', async () => {
    const client = await tv({ timeoutMs: 1000 })
    const device = await client.deviceAuthorization()
    h.server.control.approveDevice(device.userCode)
    // the hung answer is an error, so the poll that timed out did not consume the device code
    h.server.control.setFaults({ http: { token: { delayMs: 3000, status: 503, times: 1 } } })
    const progress: DevicePollProgress[] = []
    const tokens = await device.poll({ onPending: (p) => progress.push(p) })
    // the first poll timed out: the interval doubled (a loaded machine may add more backoffs)
    expect(progress[0]).toMatchObject({ reason: 'backoff', interval: 2 })
    expect(progress.every((p) => p.reason === 'backoff')).toBe(true)
    expect(tokens.claims()?.sub).toBe(alice.sub)
  })
})
