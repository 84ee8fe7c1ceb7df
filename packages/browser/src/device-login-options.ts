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

/** A snapshot of a {@link DeviceLogin}: everything the screen needs to draw. */
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
   * Why the flow stopped or struggles: `ACCESS_DENIED` (denied), `DEVICE_CODE_EXPIRED`
   * (expired), `OAUTH_ERROR` / `INVALID_GRANT` / other provider codes, `NETWORK_ERROR`,
   * `TIMEOUT`, `INVALID_RESPONSE`... Also set while `retrying` (the last failed poll's error is
   * not known to the SDK then, so it is unset) and cleared once polling goes well.
   */
  error?: OpenRpError
}

/** Options of {@link createDeviceLogin}. */
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
   * Key of the session in the store (default `openrp:<clientId>`); the pending device code is
   * kept under `<storageKey>:device`.
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
  /** Where time comes from: the countdown, expiry and the renewal delay (default: system). */
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
