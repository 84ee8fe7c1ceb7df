// createDeviceLogin against the real reference server over HTTP: codes, QR, countdown,
// polling, offline pause, reload, expiry, denial, errors, and the session after. The TV and the
// provider share a ManualClock: intervals pass when the test moves it, never in real time.
import { InProcessLock, MemoryStore, OAuthError, type OpenRpError } from '@openrp/core'
import { DEMO_CLIENTS, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { fixedKeyPairs, ManualClock } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDeviceLogin, type DeviceLogin } from '../src/device-login.ts'
import type { DeviceLoginOptions, DeviceLoginState } from '../src/device-login-options.ts'
import type { NetworkStatus } from '../src/network-status.ts'
import { ScriptedNavigator } from './spa-fakes.ts'
import { makeDue } from './spa-server.ts'
import { Wire } from './wire.ts'

const INTERVAL_SEC = 1
const TTL_SEC = 30

let server: ReferenceServer
const open: DeviceLogin[] = []
/**
 * Each test's clock, started at the real time (ID tokens are also checked against the wall
 * clock); the provider reads the same one, so polls spaced by it are not "too fast".
 */
let clock: ManualClock
/** Each test's fetch: tells when every answer so far has been handled. */
let wire: Wire

/** A reference server on the test's clock, with the device flow's interval and lifetime. */
const startServer = () =>
  startReferenceServer({
    port: 0,
    clients: DEMO_CLIENTS,
    generateKeyPair: fixedKeyPairs(),
    deviceInterval: INTERVAL_SEC,
    deviceCodeTtl: TTL_SEC,
    clock: { now: () => clock.now() },
  })

beforeAll(async () => {
  server = await startServer()
})
beforeEach(() => {
  clock = new ManualClock(Date.now())
  wire = new Wire()
})
afterAll(async () => {
  await server.close()
})
afterEach(() => {
  for (const login of open.splice(0)) login.close()
  server.control.resetFaults()
  server.control.clearRequests()
})

/** navigator.onLine and its events, switched by the test. */
class ScriptedNetwork implements NetworkStatus {
  online = true
  readonly #listeners = new Set<(online: boolean) => void>()
  isOnline(): boolean {
    return this.online
  }
  subscribe(listener: (online: boolean) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
  set(online: boolean): void {
    this.online = online
    for (const listener of this.#listeners) listener(online)
  }
}

function setup(options: Partial<DeviceLoginOptions> = {}) {
  const store = (options.store as MemoryStore | undefined) ?? new MemoryStore()
  const network = (options.network as ScriptedNetwork | undefined) ?? new ScriptedNetwork()
  const login = createDeviceLogin({
    issuer: server.issuer,
    clientId: 'tv',
    store,
    lock: new InProcessLock(),
    network,
    navigator: new ScriptedNavigator(),
    autoRefresh: false,
    qr: false,
    clock,
    fetch: wire.fetch,
    ...options,
  })
  open.push(login)
  return { login, store, network }
}

/** Resolves with the first state (now or later) that matches. */
function until(
  login: DeviceLogin,
  match: (state: DeviceLoginState) => boolean,
  timeoutMs = 15_000,
): Promise<DeviceLoginState> {
  return new Promise((resolve, reject) => {
    let stop = () => {}
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`state never matched; last: ${JSON.stringify(login.state)}`))
    }, timeoutMs)
    stop = login.subscribe((state) => {
      if (!match(state)) return
      clearTimeout(timer)
      queueMicrotask(() => stop())
      resolve(state)
    })
  })
}

/**
 * Moves the clock by `ms`, `stepMs` at a time; after each step, the requests that step sent
 * (polls) are answered and handled before the clock moves on, as they would be in real time.
 */
async function pass(ms: number, stepMs = 250): Promise<void> {
  await wire.settled()
  for (let left = ms; left > 0; left -= stepMs) {
    await clock.advance(Math.min(stepMs, left))
    await wire.settled()
  }
}

/** The store key of the session of setup()'s logins (clientId `tv`, this file's issuer). */
const sessionKey = () => `openrp:tv@${new URL(server.issuer).href}`

const tokenPolls = () =>
  server.control
    .requests({ endpoint: 'token' })
    .filter((r) => r.grantType === 'urn:ietf:params:oauth:grant-type:device_code')
const codeRequests = () => server.control.requests({ endpoint: 'device_authorization' })

describe('createDeviceLogin', () => {
  it('shows a code and a QR code of verification_uri_complete, and signs in once approved', async () => {
    const rendered: string[] = []
    const { login, store } = setup({
      qr: async (text) => {
        rendered.push(text)
        return `<svg data-text="${text}"></svg>`
      },
    })
    const logins: string[] = []
    login.on('login', (event) => logins.push(event.source))
    await login.start()
    const shown = await until(login, (s) => s.qrSvg !== undefined)
    expect(shown.status).toBe('waiting')
    expect(shown.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/)
    expect(shown.verificationUri).toBe(`${server.issuer}/device`)
    expect(shown.verificationUriComplete).toContain(encodeURIComponent(shown.userCode!))
    expect(rendered).toEqual([shown.verificationUriComplete])
    expect(shown.secondsLeft).toBeGreaterThan(TTL_SEC - 3)
    expect(await store.get(`${sessionKey()}:device`)).toMatchObject({ userCode: shown.userCode })

    server.control.approveDevice(shown.userCode!, 'alice')
    await pass(INTERVAL_SEC * 1000)
    await until(login, (s) => s.status === 'signed-in')
    expect(await store.get(`${sessionKey()}:device`)).toBeUndefined()
    expect(await store.get(sessionKey())).toMatchObject({ accessToken: expect.any(String) })
    expect(logins).toEqual(['this-tab'])
    const accessToken = await login.getAccessToken()
    expect(accessToken).toBe((await login.getTokenSet())?.accessToken)
    expect((await login.userinfo()).name).toBe('Alice Liddell')
    const api = await login.fetch(`${server.issuer}/api/me`)
    expect(api.status).toBe(200)
  })

  it('starts signed in, without a new code, when a session is stored', async () => {
    const first = setup()
    await first.login.start()
    const { userCode } = await until(first.login, (s) => s.status === 'waiting')
    server.control.approveDevice(userCode!)
    await pass(INTERVAL_SEC * 1000)
    await until(first.login, (s) => s.status === 'signed-in')
    first.login.close()
    server.control.clearRequests()

    const { login } = setup({ store: first.store })
    await login.start()
    expect(login.state.status).toBe('signed-in')
    expect(codeRequests()).toHaveLength(0)
  })

  it('after a reload shows the same code and keeps polling it', async () => {
    const first = setup()
    await first.login.start()
    const { userCode } = await until(first.login, (s) => s.status === 'waiting')
    first.login.close() // the page is reloaded

    const { login } = setup({ store: first.store })
    await login.start()
    expect(login.state).toMatchObject({ status: 'waiting', userCode })
    expect(codeRequests()).toHaveLength(1)
    server.control.approveDevice(userCode!)
    await pass(INTERVAL_SEC * 1000)
    await until(login, (s) => s.status === 'signed-in')
  })

  it('ignores a stored code that has expired and asks for a new one', async () => {
    const store = new MemoryStore()
    await store.set(`${sessionKey()}:device`, {
      deviceCode: 'stale',
      userCode: 'BCDF-GHJK',
      verificationUri: `${server.issuer}/device`,
      expiresAt: Math.floor(clock.now() / 1000) - 1,
      interval: 1,
    })
    const { login } = setup({ store })
    await login.start()
    expect(login.state.status).toBe('waiting')
    expect(login.state.userCode).not.toBe('BCDF-GHJK')
    expect(codeRequests()).toHaveLength(1)
  })

  it('a denial ends on `denied` with ACCESS_DENIED and stores nothing', async () => {
    const { login, store } = setup()
    await login.start()
    const { userCode } = await until(login, (s) => s.status === 'waiting')
    server.control.denyDevice(userCode!)
    await pass(INTERVAL_SEC * 1000)
    const denied = await until(login, (s) => s.status === 'denied')
    expect(denied.error?.code).toBe('ACCESS_DENIED')
    expect(denied.error).toBeInstanceOf(OAuthError)
    expect(denied.userCode).toBeUndefined()
    expect(await store.get(sessionKey())).toBeUndefined()
    expect(await store.get(`${sessionKey()}:device`)).toBeUndefined()
    await expect(login.getAccessToken()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' })
  })

  it('counts down once a second on the injected clock, expires, then shows a new code', async () => {
    const { login, store } = setup({ renewDelayMs: 3_000 })
    await login.start()
    const first = login.state
    expect(first.status).toBe('waiting')
    const seen: number[] = []
    let expiredAt: number | undefined
    login.subscribe((s) => {
      if (s.secondsLeft !== undefined && seen.at(-1) !== s.secondsLeft) seen.push(s.secondsLeft)
      if (s.status === 'expired') expiredAt ??= clock.now()
    })
    const start = first.secondsLeft!
    await pass(3_000, 1_000)
    expect(seen.slice(0, 4)).toEqual([start, start - 1, start - 2, start - 3])

    // A second at a time: each poll (real HTTP to the reference server) answers before the
    // clock moves on, as it would in real time.
    await pass(first.expiresAt! * 1000 - clock.now(), 1_000)
    expect(login.state).toMatchObject({ status: 'expired', secondsLeft: 0 })
    expect(login.state.error?.code).toBe('DEVICE_CODE_EXPIRED')
    expect(login.state.userCode).toBeUndefined()
    expect(await store.get(`${sessionKey()}:device`)).toBeUndefined()
    expect(codeRequests()).toHaveLength(1)

    // `expired` shows for renewDelayMs, then a new code is asked for.
    await pass(expiredAt! + 3_000 - 1 - clock.now(), 1_000)
    expect(login.state.status).toBe('expired')
    expect(codeRequests()).toHaveLength(1)
    await pass(1)
    const renewed = await until(login, (s) => s.status === 'waiting')
    expect(renewed.userCode).not.toBe(first.userCode)
    expect(codeRequests()).toHaveLength(2)
  })

  it('stays on `expired` when renewExpiredCode is false', async () => {
    const { login } = setup({ renewExpiredCode: false })
    await login.start()
    await clock.advance((login.state.expiresAt! + 60) * 1000 - clock.now())
    expect(login.state.status).toBe('expired')
    expect(codeRequests()).toHaveLength(1)
    await login.restart()
    expect(login.state.status).toBe('waiting')
    expect(codeRequests()).toHaveLength(2)
  })

  it('pauses polling while offline and resumes it, never sooner than the interval', async () => {
    const { login, network } = setup()
    await login.start()
    const { userCode } = await until(login, (s) => s.status === 'waiting')
    await pass(INTERVAL_SEC * 1000)
    expect(tokenPolls()).toHaveLength(1)
    network.set(false)
    expect(login.state.status).toBe('offline')
    expect(login.state.userCode).toBe(userCode)
    // Five intervals without the network: no poll is sent.
    await pass(5 * INTERVAL_SEC * 1000)
    expect(tokenPolls()).toHaveLength(1)

    const backOnline = clock.now()
    network.set(true)
    expect(login.state.status).toBe('waiting')
    server.control.approveDevice(userCode!)
    await pass(INTERVAL_SEC * 1000 - 250)
    expect(tokenPolls()).toHaveLength(1)
    await pass(250)
    await until(login, (s) => s.status === 'signed-in')
    const resumed = tokenPolls().slice(1)
    expect(resumed).toHaveLength(1)
    expect(resumed[0]!.time - backOnline).toBe(INTERVAL_SEC * 1000)
  })

  it('asks for no code while offline, and asks once back online', async () => {
    const network = new ScriptedNetwork()
    network.online = false
    const { login } = setup({ network })
    await login.start()
    expect(login.state.status).toBe('offline')
    expect(codeRequests()).toHaveLength(0)
    network.set(true)
    await until(login, (s) => s.status === 'waiting')
    expect(codeRequests()).toHaveLength(1)
  })

  it('reports slow_down and keeps the longer interval, also for a reload', async () => {
    server.control.setFaults({ device: { slowDown: 1 } })
    const { login, store } = setup()
    await login.start()
    await pass(INTERVAL_SEC * 1000)
    const slowed = await until(login, (s) => s.status === 'slowed-down')
    expect(slowed.interval).toBe(INTERVAL_SEC + 5)
    await expect(store.get(`${sessionKey()}:device`)).resolves.toMatchObject({
      interval: INTERVAL_SEC + 5,
    })
  })

  it('ends on `error` with the provider error code when the provider refuses the client', async () => {
    const { login } = setup({ clientId: 'spa' })
    await login.start()
    expect(login.state.status).toBe('error')
    expect(login.state.error).toBeInstanceOf(OAuthError)
    expect((login.state.error as OAuthError).error).toBe('unauthorized_client')
  })

  it('ends on `error` with NETWORK_ERROR when the provider cannot be reached', async () => {
    const gone = await startReferenceServer({
      port: 0,
      clients: DEMO_CLIENTS,
      generateKeyPair: fixedKeyPairs(),
    })
    const metadata = await (await fetch(`${gone.issuer}/.well-known/openid-configuration`)).json()
    await gone.close()
    const { login } = setup({ issuer: undefined, metadata, timeoutMs: 2_000 })
    const started = login.start()
    // The request is retried after a backoff on the clock before it fails for good.
    for (let ms = 0; login.state.status !== 'error' && ms < 60_000; ms += 250) await pass(250)
    await started
    expect(login.state.status).toBe('error')
    expect((login.state.error as OpenRpError).code).toBe('NETWORK_ERROR')
  })

  it('a token-endpoint failure while polling shows `retrying`, then recovers', async () => {
    server.control.setFaults({ http: { token: { status: 503, times: 1 } } })
    const { login } = setup()
    await login.start()
    await pass(INTERVAL_SEC * 1000)
    const retrying = await until(login, (s) => s.status === 'retrying')
    expect(retrying.interval).toBe(2 * INTERVAL_SEC)
    // The next poll waits the doubled interval, then is pending again.
    await pass(2 * INTERVAL_SEC * 1000 - 250)
    expect(tokenPolls()).toHaveLength(1)
    await pass(250)
    expect(tokenPolls()).toHaveLength(2)
    expect(login.state.status).toBe('waiting')
  })

  it('after sign-in, two tabs renew an expiring token once, by refresh token, in the store', async () => {
    const lock = new InProcessLock()
    const tab1 = setup({ lock })
    const tab2 = setup({ lock, store: tab1.store })
    await tab1.login.start()
    const { userCode } = await until(tab1.login, (s) => s.status === 'waiting')
    server.control.approveDevice(userCode!)
    await pass(INTERVAL_SEC * 1000)
    await until(tab1.login, (s) => s.status === 'signed-in')
    await tab2.login.start()
    expect(tab2.login.state.status).toBe('signed-in')
    const before = (await tab1.login.getTokenSet())!.accessToken
    await makeDue(tab1.store, sessionKey())
    server.control.clearRequests()

    const [a, b] = await Promise.all([tab1.login.getAccessToken(), tab2.login.getAccessToken()])
    expect(a).toBe(b)
    expect(a).not.toBe(before)
    const refreshes = server.control
      .requests({ endpoint: 'token' })
      .filter((r) => r.grantType === 'refresh_token')
    expect(refreshes).toHaveLength(1)
    expect(await tab1.store.get(sessionKey())).toMatchObject({ accessToken: a })
  })

  it('logout clears the session, revokes the tokens and goes back to idle', async () => {
    const { login, store } = setup()
    await login.start()
    const { userCode } = await until(login, (s) => s.status === 'waiting')
    server.control.approveDevice(userCode!)
    await pass(INTERVAL_SEC * 1000)
    await until(login, (s) => s.status === 'signed-in')
    const events: string[] = []
    login.on('logout', (event) => events.push(event.source))
    await login.logout()
    expect(login.state.status).toBe('idle')
    expect(events).toEqual(['this-tab'])
    expect(await store.get(sessionKey())).toBeUndefined()
    expect(server.control.requests({ endpoint: 'revocation' }).length).toBeGreaterThan(0)
    await login.start()
    expect(login.state.status).toBe('waiting')
  })
})

/**
 * Regression: two device logins with one clientId and two issuers kept their sessions (and
 * pending codes) under one key, `openrp:<clientId>`. The login of issuer B then resumed A's
 * code (showing A's verification page, polling A's device code at B), heard A's sign-in as its
 * own, and used, renewed at B and revoked at B the session of A. Now kept per issuer, as
 * SpaClient does; a session kept under the old key moves when its ID token is this issuer's.
 */
describe('two device logins with one clientId and two issuers', () => {
  let other: ReferenceServer
  beforeAll(async () => {
    other = await startServer()
  })
  afterAll(async () => {
    await other.close()
  })
  afterEach(() => {
    other.control.clearRequests()
  })

  it('each shows its own code and signs in alone; neither uses the other’s session', async () => {
    const lock = new InProcessLock()
    const a = setup({ lock })
    const b = setup({ lock, store: a.store, issuer: other.issuer })
    await b.login.start()
    const shownB = await until(b.login, (s) => s.status === 'waiting')
    expect(shownB.verificationUri).toBe(`${other.issuer}/device`)
    await a.login.start()
    const shownA = await until(a.login, (s) => s.status === 'waiting')
    expect(shownA.verificationUri).toBe(`${server.issuer}/device`)

    server.control.approveDevice(shownA.userCode!)
    await pass(INTERVAL_SEC * 1000)
    await until(a.login, (s) => s.status === 'signed-in')
    const tokensA = (await a.login.getTokenSet())!
    expect(b.login.state.status).toBe('waiting')
    expect(await b.login.getTokenSet()).toBeUndefined()
    expect(
      (await b.login.getAccessToken().catch((error: OpenRpError) => error)) as OpenRpError,
    ).toMatchObject({ code: 'LOGIN_REQUIRED' })
    await b.login.logout()
    expect(other.control.requests({ endpoint: 'revocation' })).toEqual([])
    expect(await a.login.getAccessToken()).toBe(tokensA.accessToken)
  })

  it('a session kept under the old key moves to its issuer’s login only', async () => {
    const first = setup()
    await first.login.start()
    const { userCode } = await until(first.login, (s) => s.status === 'waiting')
    server.control.approveDevice(userCode!)
    await pass(INTERVAL_SEC * 1000)
    await until(first.login, (s) => s.status === 'signed-in')
    const session = (await first.login.getTokenSet())!.toJSON()
    // As an earlier version kept it: under `openrp:<clientId>`, whatever the issuer.
    const store = new MemoryStore()
    await store.set('openrp:tv', session)
    const lock = new InProcessLock()

    const b = setup({ lock, store, issuer: other.issuer })
    await b.login.start()
    expect(b.login.state.status).not.toBe('signed-in')
    expect(await store.get('openrp:tv')).toEqual(session)

    const a = setup({ lock, store })
    await a.login.start()
    expect(a.login.state.status).toBe('signed-in')
    expect(await a.login.getAccessToken()).toBe(session.accessToken)
    expect(await store.get('openrp:tv')).toBeUndefined()
    expect(await b.login.getTokenSet()).toBeUndefined()
  })
})

/** Resolves once `key` holds a value (the hand-over of tokens runs on after the answer). */
async function stored(store: MemoryStore, key: string): Promise<unknown> {
  for (let tries = 0; tries < 500; tries++) {
    const value = await store.get(key)
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`nothing was stored under ${key}`)
}

describe('createDeviceLogin, ends and overlaps', () => {
  it('signed in by another tab, it stops its countdown: no expiry, no new code', async () => {
    const lock = new InProcessLock()
    const tab1 = setup({ lock })
    const tab2 = setup({ lock, store: tab1.store })
    // Both start before either has stored a code: each shows its own.
    await Promise.all([tab1.login.start(), tab2.login.start()])
    const shown1 = await until(tab1.login, (s) => s.status === 'waiting')
    const shown2 = await until(tab2.login, (s) => s.status === 'waiting')
    expect(shown2.userCode).not.toBe(shown1.userCode)
    server.control.approveDevice(shown1.userCode!)
    await pass(INTERVAL_SEC * 1000)
    await until(tab1.login, (s) => s.status === 'signed-in')
    await until(tab2.login, (s) => s.status === 'signed-in')

    await pass((shown2.expiresAt! + 10) * 1000 - clock.now(), 1_000)
    expect(tab2.login.state).toEqual({ status: 'signed-in' })
    expect(codeRequests()).toHaveLength(2)
  })

  it('emits no event after close(), also when a poll sent before it is approved', async () => {
    const { login, store } = setup()
    const events: string[] = []
    login.on('login', () => events.push('login'))
    login.on('error', (error) => events.push(`error ${error.code}`))
    await login.start()
    const { userCode } = await until(login, (s) => s.status === 'waiting')
    server.control.approveDevice(userCode!)
    // The answer takes a moment (real time): close() comes while the poll is on its way.
    server.control.setFaults({ http: { token: { delayMs: 200, times: 1 } } })
    await wire.settled()
    await clock.advance(INTERVAL_SEC * 1000)
    expect(wire.inFlight).toBe(1) // the poll is on its way
    login.close()
    await wire.settled()
    // The approved tokens are kept; nobody is told after close().
    await stored(store, sessionKey())
    await pass(1_000)
    expect(events).toEqual([])
  })

  it.each(['stop', 'close'] as const)(
    '%s() while start() resumes a stored code: no code shown, no poll, no timer left',
    async (end) => {
      const first = setup()
      await first.login.start()
      await until(first.login, (s) => s.status === 'waiting')
      first.login.close() // the page is reloaded
      server.control.clearRequests()

      const { login } = setup({ store: first.store })
      // The provider's metadata is on its way when the user leaves the screen: held there (real
      // time) so the wait below sees it on the wire even on a loaded machine.
      server.control.setFaults({ http: { discovery: { delayMs: 1_000, times: 1 } } })
      const started = login.start()
      while (wire.inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 1))
      login[end]()
      await started
      await wire.settled()
      expect(login.state).toEqual({ status: 'idle' })
      expect(clock.pendingTimers).toBe(0)
      await pass(3 * INTERVAL_SEC * 1000)
      expect(tokenPolls()).toHaveLength(0)
    },
  )
})

describe('createDeviceLogin, a slow poll', () => {
  it('stop() after a slow poll was reported (`retrying`) keeps that poll and its tokens', async () => {
    const { login, store } = setup({ timeoutMs: 2_000 })
    await login.start()
    const { userCode } = await until(login, (s) => s.status === 'waiting')
    server.control.approveDevice(userCode!)
    // The provider answers the next poll late (real time): after timeoutMs on the TV's clock.
    server.control.setFaults({ http: { token: { delayMs: 300, times: 1 } } })
    await wire.settled()
    await clock.advance(INTERVAL_SEC * 1000)
    expect(wire.inFlight).toBe(1)
    await clock.advance(2_000)
    expect(login.state.status).toBe('retrying')
    expect(wire.inFlight).toBe(1) // the approved poll is still on its way
    login.stop()
    await wire.settled()
    expect(await stored(store, sessionKey())).toMatchObject({ accessToken: expect.any(String) })
    expect(tokenPolls()).toHaveLength(1)
  })
})

describe('createDeviceLogin, a store that fails', () => {
  it('a pending code it cannot read is reported (`error` event); a new code is shown', async () => {
    class PendingUnreadable extends MemoryStore {
      override get<T = unknown>(key: string): Promise<T | undefined> {
        if (key.endsWith(':device')) return Promise.reject(new Error('IndexedDB: read failed'))
        return super.get<T>(key)
      }
    }
    const { login } = setup({ store: new PendingUnreadable() })
    const errors: string[] = []
    login.on('error', (error) => errors.push(error.message))
    await login.start()
    expect(login.state.status).toBe('waiting')
    expect(login.state.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/)
    expect(errors).toEqual(['IndexedDB: read failed'])
  })

  it('a stored pending code that is no DeviceAuthorizationJSON is reported and replaced', async () => {
    const store = new MemoryStore()
    // Unexpired, but without its device code (damaged, or written by something else).
    await store.set(`${sessionKey()}:device`, {
      userCode: 'BCDF-GHJK',
      expiresAt: Math.floor(clock.now() / 1000) + 60,
    })
    const { login } = setup({ store })
    const errors: string[] = []
    login.on('error', (error) => errors.push(error.code))
    await login.start()
    expect(login.state.status).toBe('waiting')
    expect(login.state.userCode).not.toBe('BCDF-GHJK')
    expect(errors).toEqual(['INVALID_ARGUMENT'])
    expect(await store.get(`${sessionKey()}:device`)).toMatchObject({
      userCode: login.state.userCode,
    })
  })
})

describe('createDeviceLogin, slow_down and a reload', () => {
  it('keeps a slow_down that answers a poll sent before the network went down, for a reload', async () => {
    const { login, store, network } = setup()
    await login.start()
    const { userCode } = await until(login, (s) => s.status === 'waiting')
    // The answer to the next poll takes a moment (real time): the network drops meanwhile.
    server.control.setFaults({
      device: { slowDown: 1 },
      http: { token: { delayMs: 200, times: 1 } },
    })
    await wire.settled()
    await clock.advance(INTERVAL_SEC * 1000)
    expect(wire.inFlight).toBe(1)
    network.set(false) // the poll is on its way; its answer is slow_down
    await wire.settled()
    expect(tokenPolls()).toHaveLength(1)
    await expect(store.get(`${sessionKey()}:device`)).resolves.toMatchObject({
      interval: INTERVAL_SEC + 5,
    })
    login.close() // the page is reloaded

    const reloaded = setup({ store })
    await reloaded.login.start()
    expect(reloaded.login.state).toMatchObject({ userCode, interval: INTERVAL_SEC + 5 })
  })
})

describe('createDeviceLogin, offline and back while a poll is on its way', () => {
  it('signs in once: one login event, one hand-over of the tokens', async () => {
    const { login, store, network } = setup()
    const logins: string[] = []
    login.on('login', (event) => logins.push(event.source))
    await login.start()
    const { userCode } = await until(login, (s) => s.status === 'waiting')
    server.control.approveDevice(userCode!)
    server.control.setFaults({ http: { token: { delayMs: 200, times: 1 } } })
    await wire.settled()
    await clock.advance(INTERVAL_SEC * 1000)
    expect(wire.inFlight).toBe(1)
    network.set(false)
    network.set(true) // the approved poll is still on its way
    await wire.settled()
    await until(login, (s) => s.status === 'signed-in')
    await stored(store, sessionKey())
    await pass(1_000)
    expect(logins).toEqual(['this-tab'])
    expect(tokenPolls()).toHaveLength(1)
  })
})

describe('createDeviceLogin, stop() right after restart()', () => {
  it('stays stopped (`idle`, no code asked for), and start() still starts', async () => {
    const { login } = setup()
    await login.start()
    await until(login, (s) => s.status === 'waiting')
    const restarted = login.restart()
    login.stop() // while restart() drops the stored code
    await restarted
    await wire.settled()
    expect(login.state).toEqual({ status: 'idle' })
    expect(codeRequests()).toHaveLength(1)
    await login.start()
    expect(login.state.status).toBe('waiting')
  })
})

describe('createDeviceLogin, stop() and start() while a poll is on its way', () => {
  it('resumes the same polling: no second poll of the code while the first is unanswered', async () => {
    const { login } = setup()
    await login.start()
    const { userCode } = await until(login, (s) => s.status === 'waiting')
    server.control.setFaults({ http: { token: { delayMs: 300, times: 1 } } })
    await wire.settled()
    await clock.advance(INTERVAL_SEC * 1000)
    expect(wire.inFlight).toBe(1)
    login.stop()
    await login.start() // the same code again, its poll still on the wire
    expect(login.state).toMatchObject({ status: 'waiting', userCode })
    await clock.advance(INTERVAL_SEC * 1000)
    await wire.settled()
    // One poll answered, and no slow_down for a second one sent too soon.
    expect(tokenPolls()).toHaveLength(1)
    expect(login.state).toMatchObject({ status: 'waiting', interval: INTERVAL_SEC })
    server.control.approveDevice(userCode!)
    await pass(2 * INTERVAL_SEC * 1000)
    await until(login, (s) => s.status === 'signed-in')
  })
})

/**
 * Regression: another tab's sign-in while this device login was asking the provider for its
 * first code was heard (a `login` event) but ended nothing: the code came and was shown, with
 * its countdown and polling, under a session that already existed.
 */
describe('createDeviceLogin, signed in by another tab while asking for its first code', () => {
  it('shows no code and goes to `signed-in`; the code it was given is never polled', async () => {
    const lock = new InProcessLock()
    // Both tabs ask for a code (none is stored yet); the provider holds both answers, the
    // second tab's on a wire of its own so that the first tab's polls can be settled alone.
    const hold = server.control.hold({ endpoint: 'device_authorization' })
    const tab1 = setup({ lock })
    const started1 = tab1.login.start()
    await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
    const tab2 = setup({ lock, store: tab1.store, fetch: new Wire().fetch })
    const heard = new Promise((resolve) => tab2.login.on('login', resolve))
    const started2 = tab2.login.start()
    await hold.waitUntilHeld(2, { timeoutMs: 10_000 })
    hold.releaseNext() // the first tab's code
    await started1
    const { userCode } = await until(tab1.login, (s) => s.status === 'waiting')
    expect(tab2.login.state.status).toBe('starting')

    server.control.approveDevice(userCode!)
    await pass(INTERVAL_SEC * 1000)
    await until(tab1.login, (s) => s.status === 'signed-in')
    await heard
    hold.release() // the second tab's code comes after the sign-in
    await started2
    expect(tab2.login.state).toEqual({ status: 'signed-in' })
    expect(await tab2.login.getAccessToken()).toBe((await tab1.login.getTokenSet())!.accessToken)
    expect(codeRequests()).toHaveLength(2)
    await pass(3 * INTERVAL_SEC * 1000)
    expect(tab2.login.state).toEqual({ status: 'signed-in' })
    expect(tokenPolls()).toHaveLength(1)
  })
})

/**
 * Regression: two tabs showing one code (the second resumed it from the store) both poll it.
 * When the approval's tokens went to one tab and the other tab's poll was answered
 * `invalid_grant` (the code was spent) before that tab heard of the sign-in, the other tab
 * ended on `error` and stayed there, though the session was stored and shared.
 */
describe('createDeviceLogin, a code resumed by another tab and approved', () => {
  it('the tab whose poll finds the code spent is signed in with the other’s tokens', async () => {
    const lock = new InProcessLock()
    const tab1 = setup({ lock })
    await tab1.login.start()
    const shown = await until(tab1.login, (s) => s.status === 'waiting')
    // Half an interval later, a second tab resumes the code: it polls half an interval after
    // the first tab, each on a wire of its own.
    await clock.advance(INTERVAL_SEC * 500)
    const tab2 = setup({ lock, store: tab1.store, fetch: new Wire().fetch })
    await tab2.login.start()
    expect(tab2.login.state).toMatchObject({ status: 'waiting', userCode: shown.userCode })
    const statuses: string[] = []
    tab2.login.subscribe(({ status }) => {
      if (status !== statuses.at(-1)) statuses.push(status)
    })
    const heard = new Promise((resolve) => tab2.login.on('login', resolve))

    // The user approves. The first tab's poll spends the code; its answer (the tokens) is held
    // at the provider while the second tab's poll is answered `invalid_grant`.
    server.control.approveDevice(shown.userCode!)
    const hold = server.control.hold({
      endpoint: 'token',
      grantType: 'urn:ietf:params:oauth:grant-type:device_code',
      times: 1,
    })
    await clock.advance(INTERVAL_SEC * 500)
    await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
    await clock.advance(INTERVAL_SEC * 500)
    const refused = await until(tab2.login, (s) => s.status === 'error')
    expect(refused.error?.code).toBe('INVALID_GRANT')
    hold.release()
    await until(tab1.login, (s) => s.status === 'signed-in')
    await heard
    expect(tab2.login.state).toEqual({ status: 'signed-in' })
    expect(await tab2.login.getAccessToken()).toBe((await tab1.login.getTokenSet())!.accessToken)
    expect(tokenPolls()).toHaveLength(2)
    // It cannot tell a code spent by another tab from one refused for good until that tab
    // stores and announces the tokens: `error` shows until then.
    expect(statuses).toEqual(['waiting', 'error', 'signed-in'])
  })
})
