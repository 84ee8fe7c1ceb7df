/**
 * Regression: when a code expired while one of its polls was on the wire, that poll's late
 * answer (`expired_token`, or a denial) ended the code shown after it: the new code was
 * dropped from the screen and from the store, and yet another code was asked for.
 */
import { InProcessLock, MemoryStore } from '@openrp/core'
import { DEMO_CLIENTS, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { fixedKeyPairs, ManualClock } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDeviceLogin, type DeviceLogin } from '../src/device-login.ts'
import type { DeviceLoginState } from '../src/device-login-options.ts'
import type { NetworkStatus } from '../src/network-status.ts'
import { ScriptedNavigator } from './spa-fakes.ts'
import { Wire } from './wire.ts'

let server: ReferenceServer
let clock: ManualClock
let login: DeviceLogin | undefined

beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    clients: DEMO_CLIENTS,
    generateKeyPair: fixedKeyPairs(),
    deviceInterval: 1,
    deviceCodeTtl: 5,
    clock: { now: () => clock.now() },
  })
})
afterAll(async () => {
  await server.close()
})
afterEach(() => {
  login?.close()
})

const online: NetworkStatus = { isOnline: () => true, subscribe: () => () => {} }

describe("a late answer to an expired code's poll", () => {
  it('leaves the code shown after it alone', async () => {
    clock = new ManualClock(Date.now())
    const wire = new Wire()
    /**
     * The first token request from `holdFromMs` on (the clock's) waits for `release()`, as on a
     * slow network.
     */
    let holdFromMs = Number.POSITIVE_INFINITY
    let release: (() => void) | undefined
    let answered: Promise<Response> | undefined
    const fetch: typeof globalThis.fetch = (input, init) => {
      if (clock.now() < holdFromMs || release || !String(input).endsWith('/token'))
        return wire.fetch(input, init)
      answered = new Promise<void>((resolve) => {
        release = resolve
      }).then(() => wire.fetch(input, init))
      return answered
    }
    const store = new MemoryStore()
    login = createDeviceLogin({
      issuer: server.issuer,
      clientId: 'tv',
      store,
      lock: new InProcessLock(),
      network: online,
      navigator: new ScriptedNavigator(),
      autoRefresh: false,
      qr: false,
      clock,
      fetch,
      renewDelayMs: 1_000,
    })
    await login.start()
    const first = login.state
    expect(first.status).toBe('waiting')

    // A poll of the first code is sent in its last 1.5 s (it polls every second), and stays on
    // the wire. (Holding "the next poll" from the last second on missed it when that second's
    // poll had just gone: the next one came only at the expiry, as the clock started at a
    // random millisecond.)
    holdFromMs = (first.expiresAt! - 1.5) * 1000
    while (!release) {
      await clock.advance(250)
      await wire.settled()
    }
    expect(clock.now()).toBeLessThan(first.expiresAt! * 1000)
    // The code expires; a second later a new one is shown and polled.
    await clock.advance(first.expiresAt! * 1000 - clock.now())
    expect(login.state.status).toBe('expired')
    await clock.advance(1000)
    const second = await until(login, (s) => s.status === 'waiting')
    expect(second.userCode).not.toBe(first.userCode)

    // Now the provider answers the old poll: its code expired.
    release!()
    await answered
    await wire.settled()
    expect(login.state).toMatchObject({ status: 'waiting', userCode: second.userCode })
    const pendingKey = `openrp:tv@${new URL(server.issuer).href}:device`
    expect(await store.get(pendingKey)).toMatchObject({ userCode: second.userCode })
    expect(server.control.requests({ endpoint: 'device_authorization' })).toHaveLength(2)
  })
})

function until(
  target: DeviceLogin,
  match: (state: DeviceLoginState) => boolean,
): Promise<DeviceLoginState> {
  return new Promise((resolve) => {
    const stop = target.subscribe((state) => {
      if (!match(state)) return
      queueMicrotask(() => stop())
      resolve(state)
    })
  })
}
