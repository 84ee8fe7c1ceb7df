/**
 * Options and state of {@link createDeviceLogin}.
 *
 * @module
 */
import type { Clock, Lock, OpenRpError, ServerMetadata } from '@openrp/core'
import type { QrRenderer } from './device-qr.ts'
import type { SpaNavigator } from './navigator.ts'
import type { NetworkStatus } from './network-status.ts'
import type { StoreChoice } from './spa-options.ts'

/**
 * What the TV screen shows. Transitions (one place in the code: `DeviceLogin`):
 *
 * @example
 * ```ts
 * const busy: DeviceLoginStatus[] = ['starting', 'waiting', 'slowed-down', 'retrying', 'offline']
 * spinner.hidden = !busy.includes(login.state.status)
 * ```
 *
 * | from | event | to |
 * | --- | --- | --- |
 * | `idle` | `start()` with a stored session | `signed-in` |
 * | `idle` | `start()` with a stored, unexpired code | `waiting` (same code) |
 * | `idle`, `expired`, `denied`, `error` | `start()` / `restart()` | `starting` |
 * | `starting` | the provider gave a code | `waiting` |
 * | `starting` | it refused or was unreachable | `error` |
 * | `waiting`, `slowed-down`, `retrying` | `authorization_pending` / `slow_down` / a failed poll | `waiting` / `slowed-down` / `retrying` |
 * | any polling state, `starting` | the browser went offline | `offline` (polling paused) |
 * | `offline` | back online | `waiting` (or `starting` when there was no code yet) |
 * | any polling state, `offline` | the code expired | `expired`, then `starting` after `renewDelayMs` unless `renewExpiredCode: false` |
 * | any polling state | the user denied | `denied` |
 * | any polling state | the provider answered with another error | `error` |
 * | any polling state | the user approved | `signed-in` |
 * | any but `idle` and `signed-in` | another tab signed in | `signed-in` (a code on its way is dropped) |
 * | `signed-in` | `logout()`, or the session ended (refresh refused) | `idle` |
 */
export type DeviceLoginStatus =
  | 'idle'
  | 'starting'
  | 'waiting'
  | 'slowed-down'
  | 'retrying'
  | 'offline'
  | 'expired'
  | 'denied'
  | 'error'
  | 'signed-in'

/**
 * A snapshot of a {@link DeviceLogin}: everything the screen needs to draw. Frozen; a new one
 * comes with every change.
 *
 * @example
 * ```ts
 * login.subscribe(({ status, userCode, qrSvg, secondsLeft }) => {
 *   codeEl.textContent = userCode ?? ''
 *   qrEl.innerHTML = qrSvg ?? ''
 *   timerEl.textContent = secondsLeft === undefined ? '' : `${secondsLeft}s`
 *   statusEl.dataset.status = status
 * })
 * ```
 */
export interface DeviceLoginState {
  status: DeviceLoginStatus
  /** The code to type on the phone, e.g. `WDJB-MJHT` (while a code is pending). */
  userCode?: string
  /** Where to type it, e.g. `https://op.example.com/device`. */
  verificationUri?: string
  /** The same page with the code filled in (RFC 8628 §3.3.1), when the provider gives one. */
  verificationUriComplete?: string
  /** QR code (SVG document) of `verificationUriComplete`, else of `verificationUri`. */
  qrSvg?: string
  /** Whole seconds until the code expires, counting down once a second. */
  secondsLeft?: number
  /** When the code expires, epoch seconds. */
  expiresAt?: number
  /** Seconds between polls now (grows on `slow_down` and after failed polls). */
  interval?: number
  /**
   * Why the flow ended, with `status` `denied` (`ACCESS_DENIED`), `expired`
   * (`DEVICE_CODE_EXPIRED`) or `error` (the provider's codes such as `OAUTH_ERROR` or
   * `INVALID_GRANT`, `NETWORK_ERROR`, `TIMEOUT`, `INVALID_RESPONSE`...). Unset while a code is
   * polled, `retrying` included (polling goes on by itself there).
   */
  error?: OpenRpError
}

/**
 * Options of {@link createDeviceLogin}.
 *
 * @example
 * ```ts
 * const options: DeviceLoginOptions = {
 *   issuer: 'https://op.example.com',
 *   clientId: 'my-tv-app',
 *   store: 'encrypted-indexeddb',
 *   renewDelayMs: 5_000,
 * }
 * const login = createDeviceLogin(options)
 * ```
 */
export interface DeviceLoginOptions {
  /** The provider's issuer identifier; its metadata is discovered. Give this or `metadata`. */
  issuer?: string | URL
  /** Static provider metadata (no discovery request). */
  metadata?: ServerMetadata
  /** A public client allowed the device grant (`urn:ietf:params:oauth:grant-type:device_code`). */
  clientId: string
  /** Default `'openid profile email offline_access'`. */
  scope?: string
  /** More device authorization request parameters (e.g. `audience`, `resource`). */
  extraParams?: Record<string, string>
  /**
   * Where the session and the pending device code are kept (default `'encrypted-indexeddb'`
   * where IndexedDB exists). A `'memory'` store forgets both on reload.
   */
  store?: StoreChoice
  /** Cross-tab lock (default: WebLocksLock where the Web Locks API exists, else in-page). */
  lock?: Lock
  /**
   * Key of the session in the store (default `openrp:<clientId>@<issuer>`, one per issuer, as
   * for SpaClient); the pending device code is kept under `<storageKey>:device`. A session kept
   * by an earlier version under `openrp:<clientId>` moves to the default key when its ID token is
   * this issuer's.
   */
  storageKey?: string
  /** Ask for a new code when one expires instead of stopping on `expired` (default true). */
  renewExpiredCode?: boolean
  /** How long `expired` shows before the new code is asked for, ms (default 3 000). */
  renewDelayMs?: number
  /**
   * Renders the QR code (default {@link qrCodeSvg}, which loads `qrcode` on first use);
   * `false` for none.
   */
  qr?: QrRenderer | false
  /** Online / offline (default {@link browserNetwork}). */
  network?: NetworkStatus
  /**
   * Where time comes from (default: system): the countdown, polling intervals, expiry, the
   * renewal delay, request timeouts and the session's token expiry and renewal timer.
   */
  clock?: Clock
  /** Renew tokens this many seconds before they expire (default 60). */
  refreshSkewSec?: number
  /** Renew ahead of expiry on a timer, paused while the page is hidden (default true). */
  autoRefresh?: boolean
  /** Allowed clock difference with the provider, seconds (default 30). */
  clockToleranceSec?: number
  /** Timeout of each request to the provider, ms (default 30 000). */
  timeoutMs?: number
  /** A fetch implementation (default `globalThis.fetch`). */
  fetch?: typeof fetch
  /** The browser environment of the session (default: over `window`; tests pass their own). */
  navigator?: SpaNavigator
}
