/**
 * `createDeviceLogin`: the device authorization grant (RFC 8628) for HTML5 TV apps (webOS,
 * Tizen, set-top boxes, kiosks). A controller for the sign-in screen: user code, QR code,
 * countdown and status as a subscribable state; polling that obeys `interval` and `slow_down`,
 * pauses offline and survives a reload; a new code when one expires. Once the user approves,
 * the tokens live in the same session machinery as {@link SpaClient}: the chosen store, one
 * refresh across tabs, `getAccessToken()`, `fetch()`, `logout()` and events.
 *
 * @module
 */
import {
  type Clock,
  type ClientCore,
  createPublicClientCore,
  type DeviceAuthorization,
  type DevicePollProgress,
  deviceAuthorization,
  discoverMetadata,
  type IdTokenClaims,
  InvalidArgumentError,
  isOpenRpError,
  OAuthError,
  OpenRpError,
  type ProtectedResourceInit,
  resumeDeviceAuthorization,
  type Store,
  systemClock,
  type TimerHandle,
  TokenManager,
  type TokenSet,
  type UserinfoClaims,
  userinfo,
} from '@openrp/core'
import { Emitter } from '@openrp/core/adapters'
import type {
  DeviceLoginOptions,
  DeviceLoginState,
  DeviceLoginStatus,
} from './device-login-options.ts'
import { qrCodeSvg, type QrRenderer } from './device-qr.ts'
import { browserNetwork, type NetworkStatus } from './network-status.ts'
import { SpaClient, sessionKey } from './spa-client.ts'
import type { SpaEvents } from './spa-events.ts'
import { defaultLock, resolveStore } from './spa-store.ts'
import { TabSync } from './tab-sync.ts'

const DEFAULT_SCOPE = 'openid profile email offline_access'
const DEFAULT_RENEW_DELAY_MS = 3_000

/** Statuses in which a code is being polled (or waits for the network to poll again). */
const POLLING: ReadonlySet<DeviceLoginStatus> = new Set([
  'waiting',
  'slowed-down',
  'retrying',
  'offline',
])

/** The status a poll's progress report means. */
const PROGRESS_STATUS: Record<DevicePollProgress['reason'], DeviceLoginStatus> = {
  authorization_pending: 'waiting',
  slow_down: 'slowed-down',
  backoff: 'retrying',
}

/**
 * One `poll()` of one code; `requesting` while its token request may be on the wire or its
 * answer not yet reported, `onWire` while the request itself is unanswered.
 */
interface Poller {
  device: DeviceAuthorization
  controller: AbortController
  requesting: boolean
  onWire: number
}

/**
 * Creates the sign-in controller of a TV app. Nothing is fetched until `start()`.
 *
 * @example
 * ```ts
 * import { createDeviceLogin } from '@openrp/browser'
 *
 * const login = createDeviceLogin({ issuer: 'https://op.example.com', clientId: 'tv' })
 * login.subscribe((state) => {
 *   if (state.status === 'signed-in') return showHome()
 *   codeEl.textContent = state.userCode ?? ''
 *   qrEl.innerHTML = state.qrSvg ?? ''
 *   timerEl.textContent = `${state.secondsLeft ?? 0}s`
 * })
 * await login.start() // resumes a stored session or pending code after a reload
 * const res = await login.fetch('https://api.example.com/me')
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8628
 */
export function createDeviceLogin(options: DeviceLoginOptions): DeviceLogin {
  return new DeviceLogin(options)
}

/**
 * The device-flow sign-in of a TV app, then its session. Create with {@link createDeviceLogin}.
 *
 * @example
 * ```ts
 * const login = new DeviceLogin({ issuer: 'https://op.example.com', clientId: 'tv', store: 'indexeddb' })
 * const stop = login.subscribe(render)
 * await login.start()
 * ```
 */
export class DeviceLogin {
  readonly #options: DeviceLoginOptions
  readonly #store: Store
  readonly #lock
  readonly #key: string
  readonly #pendingKey: string
  readonly #clock: Clock
  readonly #network: NetworkStatus
  readonly #qr: QrRenderer | false
  readonly #session: SpaClient
  readonly #sync: TabSync
  readonly #listeners = new Set<(state: DeviceLoginState) => void>()
  readonly #events = new Emitter<SpaEvents>()
  readonly #unsubscribe: Array<() => void> = []
  #state: DeviceLoginState = { status: 'idle' }
  #core: Promise<ClientCore> | undefined
  /** Bumped whenever the flow starts over or stops: late results of an older run are ignored. */
  #run = 0
  #device: DeviceAuthorization | undefined
  /** The code shown last, kept after stop() so that start() continues its polling. */
  #last: DeviceAuthorization | undefined
  #poller: Poller | undefined
  #tick: TimerHandle | undefined
  #renewTimer: TimerHandle | undefined
  /** Access token of the set this controller stored: its echo from TabSync is not a new login. */
  #handedOver: string | undefined
  #tokenEndpoint: string | undefined
  #closed = false

  constructor(options: DeviceLoginOptions) {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('createDeviceLogin() needs an options object')
    if (!options.issuer && !options.metadata)
      throw new InvalidArgumentError('createDeviceLogin() needs `issuer` or `metadata`')
    if (typeof options.clientId !== 'string' || options.clientId === '')
      throw new InvalidArgumentError('options.clientId must be a non-empty string')
    if (options.qr !== undefined && options.qr !== false && typeof options.qr !== 'function')
      throw new InvalidArgumentError('options.qr must be a function returning an SVG, or false')
    this.#options = options
    this.#store = resolveStore(options.store)
    this.#lock = options.lock ?? defaultLock()
    // The session's key, as SpaClient's: per issuer unless `storageKey` is given.
    this.#key = sessionKey(options)
    this.#pendingKey = `${this.#key}:device`
    this.#clock = options.clock ?? systemClock
    this.#network = options.network ?? browserNetwork()
    this.#qr = options.qr ?? qrCodeSvg
    const perTab =
      options.store === 'session' ||
      options.store === 'memory' ||
      (options.store === undefined && typeof indexedDB === 'undefined')
    // The session after sign-in is an SpaClient's: renewal by refresh token only (a TV has no
    // redirect to come back to), and logout never leaves the app for the provider's pages. It
    // moves a session kept under the key of earlier versions (see SpaClientOptions.storageKey).
    this.#session = new SpaClient({
      issuer: options.issuer,
      metadata: options.metadata,
      clientId: options.clientId,
      redirectUri: appUrl(options),
      scope: options.scope ?? DEFAULT_SCOPE,
      store: this.#store,
      storeScope: perTab ? 'tab' : 'shared',
      lock: this.#lock,
      storageKey: options.storageKey,
      silent: false,
      refreshSkewSec: options.refreshSkewSec,
      autoRefresh: options.autoRefresh,
      clockToleranceSec: options.clockToleranceSec,
      timeoutMs: options.timeoutMs,
      clock: this.#clock,
      fetch: options.fetch,
      navigator: options.navigator,
    })
    this.#sync = new TabSync(`openrp:${this.#key}`)
    for (const name of ['logout', 'refreshed', 'expired', 'error'] as const)
      this.#unsubscribe.push(this.#session.on(name, (payload) => this.#forward(name, payload)))
    this.#unsubscribe.push(
      this.#session.on('login', (payload) => {
        if (payload.tokenSet?.accessToken === this.#handedOver) return
        this.#forward('login', payload)
        if (this.#state.status === 'idle' || this.#state.status === 'signed-in') return
        // Another tab of the app signed in: this one is signed in too, and what its screen was
        // at is over: a code on its way from the provider (never shown nor polled), a code shown
        // (its countdown and renewal), or the end of a code, e.g. the `invalid_grant` its poll
        // got for a code that the other tab, polling it too, had just spent.
        this.#begin()
        void this.#store.delete(this.#pendingKey).catch((error) => this.#reportError(error))
        this.#set({ status: 'signed-in' })
      }),
      this.#session.on('logout', () => this.#signedOut()),
      this.#session.on('expired', () => this.#signedOut()),
      this.#network.subscribe((online) => this.#onNetwork(online)),
    )
  }

  /** The current state (what the screen shows). */
  get state(): DeviceLoginState {
    return this.#state
  }

  /**
   * Calls `listener` with the state now and on every change (the countdown changes it once a
   * second); returns the unsubscribe function.
   */
  subscribe(listener: (state: DeviceLoginState) => void): () => void {
    this.#listeners.add(listener)
    listener(this.#state)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /**
   * Starts (or resumes) the sign-in: `signed-in` when a session is stored, the same code when a
   * pending one is stored and unexpired (a reload), else a new code. Does nothing while a code
   * is already being polled or the user is signed in. Resolves once the screen has something
   * to show; failures are the `error` status, never a rejection.
   */
  async start(): Promise<void> {
    if (this.#closed) throw new OpenRpError('ABORTED', 'This DeviceLogin was closed')
    if (this.#state.status === 'starting' || POLLING.has(this.#state.status)) return
    if (this.#state.status === 'signed-in') return
    const run = this.#begin()
    this.#set({ status: 'starting' })
    try {
      if (await this.#session.isAuthenticated()) {
        if (run === this.#run) this.#set({ status: 'signed-in' })
        return
      }
      // A pending code the store cannot give back (a failed read, a damaged value) is reported
      // and replaced by a new one.
      const pending = await this.#store.get(this.#pendingKey).catch((e) => this.#reportError(e))
      if (run !== this.#run) return
      if (isUnexpired(pending, this.#clock)) {
        const core = await this.#protocol()
        // stop(), close() or restart() meanwhile: this resume is over.
        if (run !== this.#run) return
        try {
          // The code shown before stop() is polled on (a poll of it may be on its way), not anew.
          const last = this.#last
          const same =
            last?.toJSON().deviceCode === (pending as { deviceCode?: unknown }).deviceCode
          this.#show(run, (same && last) || resumeDeviceAuthorization(core, pending))
          return
        } catch (error) {
          this.#reportError(error)
        }
      }
    } catch (error) {
      if (run === this.#run) this.#fail(error)
      return
    }
    await this.#newCode(run)
  }

  /** Drops the pending code (if any) and asks for a new one now, e.g. a "new code" button. */
  async restart(): Promise<void> {
    if (this.#closed) throw new OpenRpError('ABORTED', 'This DeviceLogin was closed')
    if (this.#state.status === 'signed-in') return
    const run = this.#begin()
    await this.#store.delete(this.#pendingKey).catch((error) => this.#reportError(error))
    // stop() or close() meanwhile: no new code.
    if (run === this.#run) await this.#newCode(run)
  }

  /**
   * Stops polling and the countdown (`idle`); the pending code stays stored, so `start()` (or
   * a reload) continues it. A poll already sent is still answered and, if approved, its tokens
   * are kept.
   */
  stop(): void {
    this.#begin()
    if (this.#state.status !== 'signed-in') this.#set({ status: 'idle' })
  }

  /** Stops everything (polling, timers, the session's refresh timer, listeners). */
  close(): void {
    this.stop()
    this.#closed = true
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
    this.#listeners.clear()
    this.#session.close()
    this.#sync.close()
  }

  // ------------------------------------------------------------ the session (after sign-in)

  /**
   * A valid access token, renewed by refresh token (once across tabs) when it is about to
   * expire. `LOGIN_REQUIRED` before sign-in, `SESSION_EXPIRED` once the provider refused the
   * refresh token (the state then goes back to `idle`).
   */
  getAccessToken(): Promise<string> {
    return this.#session.getAccessToken()
  }

  /** The stored tokens as they are, or `undefined` when signed out. */
  getTokenSet(): Promise<TokenSet | undefined> {
    return this.#session.getTokenSet()
  }

  /** The ID token's claims, or `undefined` when signed out. */
  getUser(): Promise<IdTokenClaims | undefined> {
    return this.#session.getUser()
  }

  /**
   * The user's claims from the UserInfo endpoint (where conformant providers put `name`,
   * `email`...), with `sub` checked against the ID token's.
   */
  async userinfo(): Promise<UserinfoClaims> {
    const accessToken = await this.getAccessToken()
    const tokens = await this.getTokenSet()
    const set = tokens?.accessToken === accessToken ? tokens : accessToken
    return userinfo(await this.#protocol(), set)
  }

  /** `fetch` with `Authorization: Bearer <access token>` (see {@link SpaClient.fetch}). */
  fetch(url: string | URL, init?: ProtectedResourceInit): Promise<Response> {
    return this.#session.fetch(url, init)
  }

  /**
   * Signs out on this device and in every tab: the session is cleared first, then the tokens
   * are revoked (unless `revoke: false`; failures are `error` events). The TV never leaves the
   * app for the provider's logout page. The state goes back to `idle`; call `start()` for the
   * next sign-in.
   */
  async logout(options: { revoke?: boolean } = {}): Promise<void> {
    await this.#session.logout({ localOnly: true, revoke: options.revoke })
  }

  /**
   * Session events, as {@link SpaClient.on}: `login` (source `this-tab` for this device login),
   * `logout`, `refreshed`, `expired`, `error`. Returns the unsubscribe function.
   */
  on<K extends keyof SpaEvents>(event: K, listener: (payload: SpaEvents[K]) => void): () => void {
    return this.#events.on(event, listener)
  }

  // ---------------------------------------------------------------------------- internals

  /** Starts a new run: the previous one's poll is let go, its timers cancelled. */
  #begin(): number {
    this.#run++
    this.#stopPolling()
    this.#device = undefined
    this.#cancelTimers()
    return this.#run
  }

  async #newCode(run: number): Promise<void> {
    if (!this.#network.isOnline()) {
      this.#set({ status: 'offline' })
      return
    }
    this.#set({ status: 'starting' })
    let device: DeviceAuthorization
    try {
      const core = await this.#protocol()
      device = await deviceAuthorization(core, {
        scope: this.#options.scope ?? DEFAULT_SCOPE,
        extraParams: this.#options.extraParams,
      })
    } catch (error) {
      if (run === this.#run) this.#fail(error)
      return
    }
    if (run !== this.#run) return
    await this.#savePending(device)
    if (run !== this.#run) return
    this.#show(run, device)
  }

  /** Shows `device`'s code, starts the countdown and polling. */
  #show(run: number, device: DeviceAuthorization): void {
    this.#device = device
    this.#last = device
    this.#set({
      status: this.#network.isOnline() ? 'waiting' : 'offline',
      userCode: device.userCode,
      verificationUri: device.verificationUri,
      verificationUriComplete: device.verificationUriComplete,
      expiresAt: device.expiresAt,
      interval: device.interval,
      secondsLeft: this.#secondsLeft(device),
    })
    this.#countdown(run, device)
    void this.#drawQr(run, device)
    this.#poll(run, device)
  }

  async #drawQr(run: number, device: DeviceAuthorization): Promise<void> {
    if (!this.#qr) return
    try {
      const qrSvg = await this.#qr(device.verificationUriComplete ?? device.verificationUri)
      if (run === this.#run && this.#device === device) this.#set({ ...this.#state, qrSvg })
    } catch (error) {
      this.#reportError(error)
    }
  }

  /** Re-renders once a second, on the second, until the code expires. */
  #countdown(run: number, device: DeviceAuthorization): void {
    const untilNextSecond = 1000 - (this.#clock.now() % 1000) || 1000
    this.#tick = this.#clock.setTimeout(() => {
      this.#tick = undefined
      if (run !== this.#run || this.#device !== device) return
      const secondsLeft = this.#secondsLeft(device)
      if (secondsLeft <= 0) {
        this.#expired(run)
        return
      }
      if (secondsLeft !== this.#state.secondsLeft) this.#set({ ...this.#state, secondsLeft })
      this.#countdown(run, device)
    }, untilNextSecond)
  }

  #secondsLeft(device: DeviceAuthorization): number {
    return Math.max(0, Math.ceil(device.expiresAt - this.#clock.now() / 1000))
  }

  /** Polls `device` until it ends; offline, nothing is sent until the network is back. */
  #poll(run: number, device: DeviceAuthorization): void {
    if (!this.#network.isOnline()) return
    const poller: Poller = {
      device,
      controller: new AbortController(),
      requesting: false,
      onWire: 0,
    }
    this.#poller = poller
    device
      .poll({
        signal: poller.controller.signal,
        onPending: (progress) => {
          // A poll slower than timeoutMs is reported (`backoff`) while it is still on the wire.
          poller.requesting = poller.onWire > 0
          // slow_down and backoff grow the interval for good: a reload must not poll faster,
          // also when the answer comes while polling is paused (offline) for this code.
          if (progress.reason !== 'authorization_pending' && device === this.#device)
            void this.#savePending(device)
          // Let go of a poll nobody wants any more, now that no request of it is on the wire.
          if (!this.#wants(run, poller)) {
            poller.controller.abort()
            return
          }
          this.#set({
            ...this.#state,
            status: PROGRESS_STATUS[progress.reason],
            interval: progress.interval,
            error: undefined,
          })
        },
      })
      .then(
        (tokens) => this.#approved(run, poller, tokens),
        (error) => this.#pollFailed(run, poller, error),
      )
  }

  /** Whether `poller` should go on: it is this run's, the code is live, the network is up. */
  #wants(run: number, poller: Poller): boolean {
    return (
      run === this.#run &&
      this.#poller === poller &&
      this.#device === poller.device &&
      !this.#closed &&
      this.#network.isOnline()
    )
  }

  /**
   * Ends the current poll without abandoning a request: a poll that sleeps is aborted now; one
   * whose request may be on the wire is aborted at its next progress report (or settles).
   */
  #stopPolling(): void {
    const poller = this.#poller
    this.#poller = undefined
    if (poller && !poller.requesting) poller.controller.abort()
  }

  async #approved(run: number, poller: Poller, tokens: TokenSet): Promise<void> {
    if (this.#poller === poller) this.#poller = undefined
    // Two poll() calls of one code (offline and back while a poll was on its way) share its
    // answer: the tokens are handed over once.
    if (tokens.accessToken === this.#handedOver) return
    // Approved tokens are kept whatever happened meanwhile: the user did approve.
    try {
      await this.#handOver(tokens)
    } catch (error) {
      if (run === this.#run) this.#fail(error)
      else this.#reportError(error)
      return
    }
    if (this.#closed) return
    // Whatever this controller was showing meanwhile (a new code after restart()) is over.
    this.#begin()
    this.#set({ status: 'signed-in' })
  }

  /** Stores `tokens` as the session, as a login: every tab's SpaClient hears of it. */
  async #handOver(tokens: TokenSet): Promise<void> {
    this.#handedOver = tokens.accessToken
    const manager = new TokenManager({
      client: { refresh: () => Promise.reject(new OpenRpError('LOGIN_REQUIRED', 'unused')) },
      store: this.#store,
      key: this.#key,
      lock: this.#lock,
      proactiveRefresh: false,
      notifier: this.#sync,
      clock: this.#clock,
    })
    try {
      await manager.setTokenSet(tokens)
    } finally {
      manager.close()
    }
    await this.#store.delete(this.#pendingKey).catch((error) => this.#reportError(error))
    this.#forward('login', { tokenSet: tokens, source: 'this-tab' })
  }

  #pollFailed(run: number, poller: Poller, error: unknown): void {
    poller.requesting = false
    if (this.#poller === poller) this.#poller = undefined
    // A poll of a code no longer shown (it expired while this poll was on the wire, and a new
    // one followed) ends nothing: its late `expired_token` or denial is not the new code's.
    if (poller.device !== this.#device) return
    if (isOpenRpError(error, 'ABORTED') || run !== this.#run || this.#closed) return
    if (isOpenRpError(error, 'DEVICE_CODE_EXPIRED')) {
      this.#expired(run, error)
      return
    }
    void this.#store.delete(this.#pendingKey).catch((e) => this.#reportError(e))
    if (isOpenRpError(error, 'ACCESS_DENIED')) {
      this.#cancelTimers()
      this.#device = undefined
      this.#set({ ...this.#codeless(), status: 'denied', error })
      return
    }
    this.#fail(error)
  }

  /** The code expired: show `expired`, then (by default) ask for a new one. */
  #expired(run: number, error?: OpenRpError): void {
    this.#stopPolling()
    this.#cancelTimers()
    this.#device = undefined
    void this.#store.delete(this.#pendingKey).catch((e) => this.#reportError(e))
    this.#set({
      ...this.#codeless(),
      status: 'expired',
      secondsLeft: 0,
      error:
        error ??
        new OAuthError(
          { error: 'expired_token', errorDescription: 'The device code expired' },
          'DEVICE_CODE_EXPIRED',
        ),
    })
    if (this.#options.renewExpiredCode === false) return
    this.#renewTimer = this.#clock.setTimeout(() => {
      this.#renewTimer = undefined
      if (run === this.#run) void this.#newCode(run)
    }, this.#options.renewDelayMs ?? DEFAULT_RENEW_DELAY_MS)
  }

  #onNetwork(online: boolean): void {
    if (this.#closed) return
    if (!online) {
      if (!POLLING.has(this.#state.status)) return
      this.#stopPolling()
      this.#set({ ...this.#state, status: 'offline' })
      return
    }
    if (this.#state.status !== 'offline') return
    const run = this.#run
    if (this.#device) {
      this.#set({ ...this.#state, status: 'waiting' })
      this.#poll(run, this.#device)
    } else {
      void this.#newCode(run)
    }
  }

  #signedOut(): void {
    if (this.#state.status !== 'signed-in') return
    this.#run++
    this.#set({ status: 'idle' })
  }

  #fail(error: unknown): void {
    this.#stopPolling()
    this.#cancelTimers()
    this.#device = undefined
    this.#set({ status: 'error', error: asError(error) })
  }

  /** The state without a code (the code is gone: denied, expired). */
  #codeless(): DeviceLoginState {
    return { status: this.#state.status }
  }

  async #savePending(device: DeviceAuthorization): Promise<void> {
    const ttlSec = Math.ceil(device.expiresAt - this.#clock.now() / 1000)
    if (ttlSec <= 0) return
    try {
      await this.#store.set(this.#pendingKey, device.toJSON(), { ttlSec })
    } catch (error) {
      // Polling goes on; only a reload would lose the code.
      this.#reportError(error)
    }
  }

  #cancelTimers(): void {
    if (this.#tick !== undefined) this.#clock.clearTimeout(this.#tick)
    if (this.#renewTimer !== undefined) this.#clock.clearTimeout(this.#renewTimer)
    this.#tick = undefined
    this.#renewTimer = undefined
  }

  #set(state: DeviceLoginState): void {
    if (this.#closed) return
    this.#state = Object.freeze(state)
    for (const listener of [...this.#listeners]) {
      try {
        listener(this.#state)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  /** Emits `name`, unless closed: a poll answered after close() keeps its tokens silently. */
  #forward<K extends keyof SpaEvents>(name: K, payload: SpaEvents[K]): void {
    if (!this.#closed) this.#events.emit(name, payload)
  }

  #reportError(error: unknown): void {
    this.#forward('error', asError(error))
  }

  #protocol(): Promise<ClientCore> {
    this.#core ??= this.#createCore().catch((error) => {
      this.#core = undefined
      throw error
    })
    return this.#core
  }

  async #createCore(): Promise<ClientCore> {
    const o = this.#options
    const clientOptions = {
      clientId: o.clientId,
      scope: o.scope ?? DEFAULT_SCOPE,
      clockToleranceSec: o.clockToleranceSec,
      timeoutMs: o.timeoutMs,
      clock: this.#clock,
      fetch: this.#watchedFetch(o.fetch),
    }
    const metadata = o.metadata ?? (await discoverMetadata(o.issuer!, clientOptions))
    this.#tokenEndpoint = metadata.token_endpoint
    return createPublicClientCore(metadata, clientOptions)
  }

  /**
   * `fetch` that marks the current poll as requesting when it calls the token endpoint (this
   * core sends nothing else there), so that going offline never abandons a sent poll.
   */
  #watchedFetch(inner: typeof fetch | undefined): typeof fetch {
    return (input, init) => {
      const poller = this.#poller
      if (poller && (init?.method ?? 'GET').toUpperCase() === 'POST' && this.#tokenEndpoint) {
        const url = input instanceof Request ? input.url : String(input)
        if (sameEndpoint(url, this.#tokenEndpoint)) {
          poller.requesting = true
          poller.onWire++
          return (inner ?? globalThis.fetch)(input, init).finally(() => poller.onWire--)
        }
      }
      return (inner ?? globalThis.fetch)(input, init)
    }
  }
}

function sameEndpoint(a: string, b: string): boolean {
  try {
    const x = new URL(a)
    const y = new URL(b)
    return x.origin === y.origin && x.pathname === y.pathname
  } catch {
    return false
  }
}

/** A stored pending code that has not expired yet. */
function isUnexpired(value: unknown, clock: Clock): boolean {
  if (typeof value !== 'object' || value === null) return false
  const expiresAt = (value as { expiresAt?: unknown }).expiresAt
  return typeof expiresAt === 'number' && expiresAt > clock.now() / 1000
}

/** The app's page, as the (unused) redirect URI of the session's SpaClient. */
function appUrl(options: DeviceLoginOptions): string {
  if (options.navigator) return options.navigator.currentUrl()
  return typeof location === 'undefined' ? 'http://localhost/' : location.href
}

function asError(error: unknown): OpenRpError {
  if (error instanceof OpenRpError) return error
  return new OpenRpError('OAUTH_ERROR', error instanceof Error ? error.message : String(error), {
    cause: error,
  })
}
