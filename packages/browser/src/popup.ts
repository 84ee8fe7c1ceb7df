/**
 * Login in a popup: the popup is opened blank inside the user's click, pointed at the provider
 * once the authorization URL is ready, and answers by `postMessage` from the popup callback page
 * (see {@link handlePopupCallback}). Only a message from our own origin, from that very popup
 * and carrying that flow's `state` is accepted. Each flow has a window of its own, so two logins
 * started together do not share (and navigate) one popup.
 *
 * @module
 */
import { type Clock, OpenRpError, systemClock, type TimerHandle } from '@openrp/core'
import { isCallbackMessage, popupChannelName } from './callback-message.ts'
import type { PopupHandle, SpaNavigator } from './navigator.ts'
import { authorizationResponseParams } from './url-cleanup.ts'

/** Popup window options. */
export interface PopupOptions {
  /** Give up after this long (default 300 000 ms = 5 minutes): `POPUP_TIMEOUT`. */
  timeoutMs?: number
  /** `window.open` features (default: a centred 500x640 window). */
  features?: string
  /** How often to check whether the user closed the popup (default 500 ms). */
  closedPollMs?: number
  /**
   * The provider's pages send `Cross-Origin-Opener-Policy`, which cuts the popup off from this
   * page: the popup then looks closed at once, so do not take that for `POPUP_CLOSED`. A popup
   * the user really closes then ends only with `POPUP_TIMEOUT` (choose a shorter `timeoutMs`).
   * The response arrives either way (postMessage, or the state's BroadcastChannel). Default
   * `false`.
   */
  openerSevered?: boolean
}

const DEFAULT_TIMEOUT_MS = 300_000

/** A login popup: a {@link PopupHandle} that knows the `state` of its login. */
export interface LoginPopup extends PopupHandle {
  /**
   * The `state` of the login's transaction, set once its authorization request is built (not
   * read from the URL, which a pushed request (PAR) or a request object does not carry it in).
   */
  state?: string
}

/**
 * Opens the blank popup, in a window named for this flow alone. Call it synchronously in the
 * click handler, before any `await`. Throws OpenRpError `POPUP_BLOCKED` when the browser refused
 * to open it.
 */
export function openLoginPopup(navigator: SpaNavigator, options: PopupOptions = {}): LoginPopup {
  // Not a secret, only unique: window.open() with a name already in use reuses that window.
  const name = `openrp-login-${crypto.getRandomValues(new Uint32Array(2)).join('-')}`
  const popup = navigator.openPopup(name, options.features ?? defaultFeatures())
  if (!popup) {
    throw new OpenRpError(
      'POPUP_BLOCKED',
      'The browser blocked the login popup; call loginWithPopup() directly from a click',
    )
  }
  // A handle of its own: the navigator's may be shared or frozen, and `state` is set on this one.
  return {
    window: popup.window,
    navigate: (url) => popup.navigate(url),
    isClosed: () => popup.isClosed(),
    close: () => popup.close(),
  }
}

/**
 * Waits for the popup's callback page to post the authorization response URL. A response whose
 * `state` is not the popup's (another flow's) is ignored. Rejects with `POPUP_CLOSED` when the
 * popup closes first, `POPUP_TIMEOUT` after `timeoutMs`, and `signal.reason` once `signal`
 * aborts (the client was closed); the popup is closed in every case. The closed check and the
 * timeout run on `clock` (the client's).
 */
export function waitForPopupResponse(
  navigator: SpaNavigator,
  popup: PopupHandle | LoginPopup,
  options: PopupOptions = {},
  clock: Clock = systemClock,
  signal?: AbortSignal,
): Promise<string> {
  const origin = navigator.origin()
  return new Promise<string>((resolve, reject) => {
    let settled = false
    const finish = (outcome: () => void) => {
      if (settled) return
      settled = true
      unsubscribe()
      channel?.close()
      signal?.removeEventListener('abort', abort)
      clock.clearTimeout(poll)
      clock.clearTimeout(timer)
      popup.close()
      outcome()
    }
    const expected = (popup as LoginPopup).state
    const accept = (data: unknown) => {
      if (!isCallbackMessage(data)) return
      const { url } = data
      // Another flow's answer (a response without state is left to the transaction store,
      // which refuses it with STATE_MISSING).
      const received = expected && authorizationResponseParams(url).get('state')
      if (received && received !== expected) return
      finish(() => resolve(url))
    }
    const unsubscribe = navigator.onMessage((message) => {
      if (message.origin === origin && message.source === popup.window) accept(message.data)
    })
    // A popup cut off from this page (COOP) answers on a same-origin channel named after state.
    const channel =
      expected && typeof BroadcastChannel === 'function'
        ? new BroadcastChannel(popupChannelName(expected))
        : undefined
    if (channel) channel.onmessage = (event) => accept(event.data)
    const closedPollMs = options.closedPollMs ?? 500
    let poll: TimerHandle
    const checkClosed = () => {
      if (!popup.isClosed()) {
        poll = clock.setTimeout(checkClosed, closedPollMs)
        return
      }
      // The callback page posts, then closes itself: give its message a moment to arrive.
      poll = clock.setTimeout(
        () =>
          finish(() =>
            reject(
              new OpenRpError('POPUP_CLOSED', 'The login popup was closed before login completed'),
            ),
          ),
        200,
      )
    }
    if (!options.openerSevered) poll = clock.setTimeout(checkClosed, closedPollMs)
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const timer = clock.setTimeout(
      () =>
        finish(() =>
          reject(
            new OpenRpError(
              'POPUP_TIMEOUT',
              `The login popup did not answer within ${timeoutMs} ms`,
            ),
          ),
        ),
      timeoutMs,
    )
    const abort = () => finish(() => reject(signal!.reason))
    signal?.addEventListener('abort', abort)
    if (signal?.aborted) abort()
  })
}

function defaultFeatures(): string {
  const width = 500
  const height = 640
  const screenLeft =
    typeof window === 'undefined' ? 0 : window.screenX + (window.outerWidth - width) / 2
  const screenTop =
    typeof window === 'undefined' ? 0 : window.screenY + (window.outerHeight - height) / 2
  return `popup=yes,width=${width},height=${height},left=${Math.max(0, screenLeft)},top=${Math.max(0, screenTop)}`
}
