/**
 * What the popup and silent-renew callback pages run. They hand the response URL to the page
 * that started the login (posting only to their own origin) and do nothing else: the tokens are
 * obtained and validated by the SpaClient in the main page.
 *
 * @module
 */
import {
  CALLBACK_MESSAGE_TYPE,
  type CallbackMessage,
  popupChannelName,
} from './callback-message.ts'
import { authorizationResponseParams } from './url-cleanup.ts'

/**
 * Runs on the popup callback page (e.g. `/popup-callback.html`): posts the response to the
 * opener and closes the popup. When the provider's `Cross-Origin-Opener-Policy` cut the popup
 * off from its opener (`window.opener` is null), posts it instead on a same-origin
 * BroadcastChannel named after the response's `state`, where the login waits too. Returns
 * `false` when there is neither (the page was opened directly), leaving it open so it can say so.
 *
 * @example
 * ```ts
 * // popup-callback.ts, bundled into popup-callback.html
 * import { handlePopupCallback } from '@openrp/browser'
 * handlePopupCallback()
 * ```
 */
export function handlePopupCallback(win: Window = window): boolean {
  const message: CallbackMessage = { type: CALLBACK_MESSAGE_TYPE, url: win.location.href }
  const opener = win.opener as Window | null
  if (opener) {
    opener.postMessage(message, win.location.origin)
  } else {
    const state = authorizationResponseParams(message.url).get('state')
    if (!state || typeof BroadcastChannel !== 'function') return false
    const channel = new BroadcastChannel(popupChannelName(state))
    channel.postMessage(message)
    channel.close()
  }
  win.close()
  return true
}

/**
 * Runs on the silent callback page (e.g. `/silent-callback.html`) inside the hidden iframe:
 * posts the response to the parent page. Returns `false` when not framed.
 */
export function handleSilentCallback(win: Window = window): boolean {
  if (win.parent === win) return false
  const message: CallbackMessage = { type: CALLBACK_MESSAGE_TYPE, url: win.location.href }
  win.parent.postMessage(message, win.location.origin)
  return true
}
