/**
 * Login in a popup: the popup is opened blank inside the user's click, pointed at the provider
 * once the authorization URL is ready, and answers by `postMessage` from the popup callback page
 * (see {@link handlePopupCallback}). Only a message from our own origin and from that very
 * popup is accepted.
 *
 * @module
 */
import { OpenRpError } from '@openrp/core'
import { isCallbackMessage } from './callback-message.ts'
import type { PopupHandle, SpaNavigator } from './navigator.ts'

/** Popup window options. */
export interface PopupOptions {
  /** Give up after this long (default 300 000 ms = 5 minutes): `POPUP_TIMEOUT`. */
  timeoutMs?: number
  /** `window.open` features (default: a centred 500x640 window). */
  features?: string
  /** How often to check whether the user closed the popup (default 500 ms). */
  closedPollMs?: number
}

const DEFAULT_TIMEOUT_MS = 300_000

/**
 * Opens the blank popup. Call it synchronously in the click handler, before any `await`.
 * Throws OpenRpError `POPUP_BLOCKED` when the browser refused to open it.
 */
export function openLoginPopup(navigator: SpaNavigator, options: PopupOptions = {}): PopupHandle {
  const popup = navigator.openPopup('openrp-login', options.features ?? defaultFeatures())
  if (!popup) {
    throw new OpenRpError(
      'POPUP_BLOCKED',
      'The browser blocked the login popup; call loginWithPopup() directly from a click',
    )
  }
  return popup
}

/**
 * Waits for the popup's callback page to post the authorization response URL. Rejects with
 * `POPUP_CLOSED` when the popup closes first and `POPUP_TIMEOUT` after `timeoutMs`; the popup is
 * closed in every case.
 */
export function waitForPopupResponse(
  navigator: SpaNavigator,
  popup: PopupHandle,
  options: PopupOptions = {},
): Promise<string> {
  const origin = navigator.origin()
  return new Promise<string>((resolve, reject) => {
    let settled = false
    const finish = (outcome: () => void) => {
      if (settled) return
      settled = true
      unsubscribe()
      clearInterval(poll)
      clearTimeout(timer)
      popup.close()
      outcome()
    }
    const unsubscribe = navigator.onMessage((message) => {
      if (message.origin !== origin || message.source !== popup.window) return
      if (!isCallbackMessage(message.data)) return
      const { url } = message.data
      finish(() => resolve(url))
    })
    const poll = setInterval(() => {
      if (!popup.isClosed()) return
      // The callback page posts, then closes itself: give its message a moment to arrive.
      setTimeout(
        () =>
          finish(() =>
            reject(
              new OpenRpError('POPUP_CLOSED', 'The login popup was closed before login completed'),
            ),
          ),
        200,
      )
      clearInterval(poll)
    }, options.closedPollMs ?? 500)
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const timer = setTimeout(
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
