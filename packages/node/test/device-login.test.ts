import { type Client, discover, isOpenRpError, MemoryStore } from '@openrp/core'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { ManualClock, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { DeviceLoginError, type DeviceLoginPrompt, deviceLogin } from '../src/device-login.ts'
import type { DeviceLoginStatus } from '../src/device-prompt.ts'
import { capture } from './helpers/capture.ts'

/** Waits for what a real HTTP round trip brings (generous: the machine may be loaded). */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 10 })

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/** A writable that records what it is given (a log file, or a terminal when `isTTY`). */

// The client and the server share a clock driven by hand: polling intervals pass at once. It
// starts at the real time, as ID tokens are also checked against the wall clock.
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
afterAll(() => server.close())
beforeEach(() => {
  server.control.resetFaults()
  server.control.clearRequests()
})

function tokenPolls() {
  return server.control.requests({ endpoint: 'token', grantType: DEVICE_GRANT })
}

/** Waits until `count` token polls have been answered. */
async function polled(count: number): Promise<void> {
  await eventually(() => expect(tokenPolls().length).toBeGreaterThanOrEqual(count))
}

/** Waits until `flag()` is true (e.g. the prompt was shown). */
async function until(flag: () => boolean): Promise<void> {
  await eventually(() => expect(flag()).toBe(true))
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
}

describe('deviceLogin against the reference server', () => {
  it('shows the URI, the code and a QR code, and resolves with the tokens once approved', async () => {
    const output = capture()
    const statuses: DeviceLoginStatus[] = []
    let prompt: DeviceLoginPrompt | undefined
    const before = timers()
    const done = deviceLogin(client, {
      output,
      onStatus: (s) => {
        statuses.push(s)
        // Approved after the first poll found it pending.
        if (s.polls === 1 && prompt) server.control.approveDevice(prompt.userCode, 'alice')
      },
      onPrompt: (p) => {
        prompt = p
      },
    })
    await until(() => prompt !== undefined)
    await clock.advance(1_000)
    await polled(1)
    await until(() => statuses.some((s) => s.polls === 1))
    await clock.advance(1_000)
    const tokens = await done
    expect(prompt).toBeDefined()
    const p = prompt as DeviceLoginPrompt
    expect(p.resumed).toBe(false)
    expect(p.verificationUri).toBe(`${server.issuer}/device`)
    expect(p.verificationUriComplete).toContain(encodeURIComponent(p.userCode))
    expect(p.qr?.svg.startsWith('<svg')).toBe(true)
    expect(output.text).toContain(p.userCode)
    expect(output.text).toContain(p.verificationUri)
    expect(output.text).toContain(p.qr?.terminal.trimEnd())
    // Not a terminal: no escape codes, and the status is written on change, not every second.
    expect(output.text).not.toContain('\x1b')
    expect(output.text).toContain('Waiting for you to approve')
    expect(output.text).toContain('You are signed in')
    expect(statuses.at(-1)?.state).toBe('approved')
    const polls = tokenPolls()
    expect(statuses.at(-1)?.polls).toBe(polls.length)
    expect(polls.length).toBeGreaterThanOrEqual(2)
    expect(timers()).toBeLessThanOrEqual(before)
    expect(process.listenerCount('SIGINT')).toBe(0)
    const user = await client.userinfo(tokens)
    expect(user.name).toBe('Alice Liddell')
  })

  it('shows that it retries when the token endpoint fails, then carries on', async () => {
    server.control.setFaults({ http: { token: { status: 503, times: 1 } } })
    const statuses: DeviceLoginStatus[] = []
    const done = deviceLogin(client, {
      output: null,
      onStatus: (s) => statuses.push(s),
      onPrompt: (p) => server.control.approveDevice(p.userCode),
    })
    await until(() => statuses.length > 0)
    await clock.advance(1_000)
    await until(() => statuses.some((s) => s.state === 'retrying'))
    await clock.advance(2_000)
    const tokens = await done
    expect(tokens.accessToken).toBeTruthy()
    const retrying = statuses.find((s) => s.state === 'retrying')
    expect(retrying?.interval).toBe(2)
    expect(tokenPolls().map((r) => r.status)).toEqual([503, 200])
  })

  it('carries on without a QR code when verification_uri_complete is too long for one', async () => {
    const long = `${server.issuer}/device?user_code=x&pad=${'a'.repeat(3000)}`
    server.control.setFaults({ device: { verificationUriComplete: long } })
    const output = capture()
    let prompt: DeviceLoginPrompt | undefined
    const done = deviceLogin(client, {
      output,
      onPrompt: (p) => {
        prompt = p
        server.control.approveDevice(p.userCode)
      },
    })
    let failed = false
    done.catch(() => (failed = true))
    await until(() => prompt !== undefined || failed)
    await clock.advance(1_000)
    const tokens = await done
    expect(tokens.accessToken).toBeTruthy()
    expect(prompt?.verificationUriComplete).toBe(long)
    expect(prompt?.qr).toBeUndefined()
    expect(output.text).toContain(prompt!.userCode)
    expect(output.text).toContain(prompt!.verificationUri)
  })

  it('counts down in place on a terminal, with a coloured QR code', async () => {
    const output = capture(true)
    let userCode: string | undefined
    server.control.clearRequests()
    const done = deviceLogin(client, {
      output,
      onPrompt: (p) => {
        userCode = p.userCode
      },
    })
    await until(() => userCode !== undefined)
    // Three seconds of the clock: a redraw each, and a poll each (still pending).
    for (let second = 1; second <= 3; second++) {
      await clock.advance(1_000)
      await polled(second)
    }
    server.control.approveDevice(userCode as string)
    await clock.advance(1_000)
    await done
    expect(output.text).toContain('\x1b[47m')
    const redraws = output.text.split('\r\x1b[2K').slice(1)
    // The first line, a redraw each second of the clock (4), one per pending poll (3), and the
    // approval.
    expect(redraws.length).toBe(9)
    const countdowns = redraws
      .map((line) => /expires in (\d+):(\d\d)/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]) * 60 + Number(m[2]))
    expect(countdowns.length).toBeGreaterThanOrEqual(2)
    expect(countdowns.at(-1)).toBeLessThan(countdowns[0] as number)
    expect(output.text.endsWith('\n')).toBe(true)
  })

  it('ends with ACCESS_DENIED in plain words when the user declines', async () => {
    const output = capture()
    let prompted = false
    const done = deviceLogin(client, {
      output,
      onPrompt: (p) => {
        server.control.denyDevice(p.userCode)
        prompted = true
      },
    }).catch((e) => e)
    await until(() => prompted)
    await clock.advance(1_000)
    const error = await done
    expect(error).toBeInstanceOf(DeviceLoginError)
    expect(error.code).toBe('ACCESS_DENIED')
    expect(error.error).toBe('access_denied')
    expect(error.message).toMatch(/declined/)
    expect(output.text).toContain('declined')
  })

  it('ends with DEVICE_CODE_EXPIRED when nobody approves in time', async () => {
    server.control.setFaults({ device: { expiresIn: 3 } }) // the code lives 3 s
    const before = timers()
    let prompted = false
    const done = deviceLogin(client, {
      output: null,
      onPrompt: () => {
        prompted = true
      },
    }).catch((e) => e)
    await until(() => prompted)
    await clock.advance(1_000)
    await polled(1)
    await clock.advance(1_000) // the second poll; a third would come after the code's expiry
    const error = await done
    expect(error).toBeInstanceOf(DeviceLoginError)
    expect(error.code).toBe('DEVICE_CODE_EXPIRED')
    expect(error.message).toMatch(/expired/)
    expect(tokenPolls()).toHaveLength(2)
    expect(timers()).toBeLessThanOrEqual(before)
  })

  it('obeys slow_down: the interval grows by 5 s and the polls are spaced accordingly', async () => {
    server.control.setFaults({ device: { slowDown: 1 } })
    const statuses: DeviceLoginStatus[] = []
    let userCode = ''
    const done = deviceLogin(client, {
      output: null,
      onPrompt: (p) => {
        userCode = p.userCode
      },
      onStatus: (s) => {
        statuses.push(s)
        if (s.state === 'slow_down') server.control.approveDevice(userCode)
      },
    })
    await until(() => userCode !== '')
    await clock.advance(1_000)
    await until(() => statuses.some((s) => s.state === 'slow_down'))
    await clock.advance(5_999)
    expect(tokenPolls()).toHaveLength(1)
    await clock.advance(1)
    await done
    const slow = statuses.find((s) => s.state === 'slow_down')
    expect(slow?.interval).toBe(6)
    const polls = tokenPolls()
    expect(polls.length).toBe(2)
    const [first, second] = polls.map((r) => r.time)
    expect((second as number) - (first as number)).toBeGreaterThanOrEqual(6000)
  })

  it('cancels with ABORTED on the signal, leaving no timer behind', async () => {
    const controller = new AbortController()
    const before = timers()
    const output = capture()
    const error = await deviceLogin(client, {
      output,
      signal: controller.signal,
      onPrompt: () => {
        setImmediate(() => controller.abort())
      },
    }).catch((e) => e)
    expect(isOpenRpError(error, 'ABORTED')).toBe(true)
    expect(output.text).toContain('cancelled')
    expect(timers()).toBeLessThanOrEqual(before)
    expect(process.listenerCount('SIGINT')).toBe(0)
  })

  it('treats Ctrl-C (SIGINT) as a cancel while it runs, and lets go of SIGINT afterwards', async () => {
    expect(process.listenerCount('SIGINT')).toBe(0)
    const error = await deviceLogin(client, {
      output: null,
      onPrompt: () => {
        // Only deviceLogin listens to SIGINT in this worker, so emitting it reaches just that.
        expect(process.listenerCount('SIGINT')).toBe(1)
        process.emit('SIGINT')
      },
    }).catch((e) => e)
    expect(isOpenRpError(error, 'ABORTED')).toBe(true)
    expect(process.listenerCount('SIGINT')).toBe(0)
  })

  it('refuses to start when the signal is already aborted', async () => {
    const error = await deviceLogin(client, {
      output: null,
      signal: AbortSignal.abort(),
    }).catch((e) => e)
    expect(isOpenRpError(error, 'ABORTED')).toBe(true)
    expect(server.control.requests({ endpoint: 'device_authorization' })).toHaveLength(0)
  })

  it('resumes a stored pending authorization after a restart, with the same code', async () => {
    const store = new MemoryStore()
    const first = new AbortController()
    const output1 = capture()
    let code1 = ''
    const error = await deviceLogin(client, {
      store,
      output: output1,
      signal: first.signal,
      onPrompt: (p) => {
        code1 = p.userCode
        setImmediate(() => first.abort())
      },
    }).catch((e) => e)
    expect(isOpenRpError(error, 'ABORTED')).toBe(true)
    const saved = await store.get<{ authorization: { deviceCode: string } }>(
      'openrp:device-authorization:tv',
    )
    const deviceCode = saved?.authorization.deviceCode as string
    expect(deviceCode.length).toBeGreaterThan(10)
    expect(output1.text).not.toContain(deviceCode)

    // "Restart": a new client object, same store.
    const again = await discover(server.issuer, { clientId: 'tv', scope: 'openid profile', clock })
    const output2 = capture()
    let prompt2: DeviceLoginPrompt | undefined
    const resumed = deviceLogin(again, {
      store,
      output: output2,
      onPrompt: (p) => {
        prompt2 = p
        server.control.approveDevice(p.userCode)
      },
    })
    await until(() => prompt2 !== undefined)
    await clock.advance(1_000)
    const tokens = await resumed
    expect(prompt2?.resumed).toBe(true)
    expect(prompt2?.userCode).toBe(code1)
    expect(output2.text).toContain('Continuing')
    expect(output2.text).not.toContain(deviceCode)
    expect(tokens.accessToken).toBeTruthy()
    expect(server.control.requests({ endpoint: 'device_authorization' })).toHaveLength(1)
    expect(await store.get('openrp:device-authorization:tv')).toBeUndefined()
  })

  it('starts afresh when the stored authorization was for another scope, and forgets it on denial', async () => {
    const store = new MemoryStore()
    const controller = new AbortController()
    await deviceLogin(client, {
      store,
      scope: 'openid',
      output: null,
      signal: controller.signal,
      onPrompt: () => controller.abort(),
    }).catch(() => {})
    let resumed: boolean | undefined
    const done = deviceLogin(client, {
      store,
      scope: 'openid profile',
      output: null,
      onPrompt: (p) => {
        resumed = p.resumed
        server.control.denyDevice(p.userCode)
      },
    }).catch((e) => e)
    await until(() => resumed !== undefined)
    await clock.advance(1_000)
    const error = await done
    expect(resumed).toBe(false)
    expect(error.code).toBe('ACCESS_DENIED')
    expect(server.control.requests({ endpoint: 'device_authorization' })).toHaveLength(2)
    expect(await store.get('openrp:device-authorization:tv')).toBeUndefined()
  })

  it('starts afresh when the stored entry is unusable or about to expire', async () => {
    const store = new MemoryStore()
    const key = 'openrp:device-authorization:tv'
    const base = { version: 1, issuer: server.issuer, clientId: 'tv', scope: undefined }
    const entries = [
      { ...base, authorization: { deviceCode: 42 }, expiresAt: clock.now() / 1000 + 300 },
      {
        ...base,
        authorization: {
          deviceCode: 'dc',
          userCode: 'OLD-CODE',
          verificationUri: `${server.issuer}/device`,
          expiresAt: clock.now() / 1000 + 2,
          interval: 1,
        },
        expiresAt: clock.now() / 1000 + 2,
      },
    ]
    for (const entry of entries) {
      await store.set(key, entry)
      let prompt: DeviceLoginPrompt | undefined
      const done = deviceLogin(client, {
        store,
        output: null,
        onPrompt: (p) => {
          prompt = p
          server.control.approveDevice(p.userCode)
        },
      })
      await until(() => prompt !== undefined)
      await clock.advance(1_000)
      await done
      expect(prompt?.resumed).toBe(false)
      expect(prompt?.userCode).not.toBe('OLD-CODE')
    }
    expect(server.control.requests({ endpoint: 'device_authorization' })).toHaveLength(2)
  })
})
