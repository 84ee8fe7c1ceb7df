/**
 * The message a popup or silent-renew callback page posts back to the page that started the
 * login: the full response URL (its query or fragment holds the authorization response).
 * It is posted only to the page's own origin, and accepted only from it.
 *
 * @module
 */

/** `type` of openrp's callback messages. */
export const CALLBACK_MESSAGE_TYPE = 'openrp:authorization-response'

/** What a callback page posts to its opener or parent. */
export interface CallbackMessage {
  type: typeof CALLBACK_MESSAGE_TYPE
  /** The callback page's URL, carrying the authorization response. */
  url: string
}

/** Narrows an incoming `MessageEvent.data` to a {@link CallbackMessage}. */
export function isCallbackMessage(data: unknown): data is CallbackMessage {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as CallbackMessage).type === CALLBACK_MESSAGE_TYPE &&
    typeof (data as CallbackMessage).url === 'string'
  )
}

/**
 * The BroadcastChannel a popup callback page cut off from its opener (the provider's pages sent
 * `Cross-Origin-Opener-Policy`) posts its {@link CallbackMessage} on: same origin only, and
 * named after the login's `state`, so only that login's page listens.
 */
export function popupChannelName(state: string): string {
  return `openrp:popup:${state}`
}
