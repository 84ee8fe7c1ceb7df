/**
 * Silent renewal in a hidden iframe: an authorization request with `prompt=none` whose answer
 * the silent callback page (see {@link handleSilentCallback}) posts back. Works only while the
 * provider's session cookie reaches the iframe (same-site provider, or third-party cookies on).
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (prompt=none)
 * @module
 */
import { type Clock, OpenRpError, systemClock } from '@openrp/core'
import { isCallbackMessage } from './callback-message.ts'
import type { FrameHandle, SpaNavigator } from './navigator.ts'

/** Hidden-iframe options. */
export interface SilentRenewOptions {
  /** Give up after this long (default 10 000 ms): `SILENT_RENEW_TIMEOUT`. */
  timeoutMs?: number
}

/**
 * Loads `authorizationUrl` in a hidden iframe and resolves with the response URL the silent
 * callback page posts. Only a message from our own origin and from that iframe is accepted.
 * The timeout runs on `clock` (the client's). Once `signal` aborts (the client was closed) it
 * rejects with `signal.reason` and the iframe is removed (or never made). When the iframe cannot
 * be made (no `document.body` yet) it rejects with `UNSUPPORTED`, leaving nothing behind.
 */
export function runSilentRequest(
  navigator: SpaNavigator,
  authorizationUrl: string,
  options: SilentRenewOptions = {},
  clock: Clock = systemClock,
  signal?: AbortSignal,
): Promise<string> {
  const origin = navigator.origin()
  const timeoutMs = options.timeoutMs ?? 10_000
  return new Promise<string>((resolve, reject) => {
    signal?.throwIfAborted()
    let frame: FrameHandle
    try {
      frame = navigator.createHiddenFrame(authorizationUrl)
    } catch (cause) {
      throw new OpenRpError('UNSUPPORTED', 'Silent renewal could not add its iframe to the page', {
        cause,
      })
    }
    // Listening once the frame exists is in time: a posted message arrives in a later task.
    const unsubscribe = navigator.onMessage((message) => {
      if (message.origin !== origin || message.source !== frame.window) return
      if (!isCallbackMessage(message.data)) return
      const { url } = message.data
      done()
      resolve(url)
    })
    const timer = clock.setTimeout(() => {
      done()
      reject(
        new OpenRpError(
          'SILENT_RENEW_TIMEOUT',
          `Silent renewal did not answer within ${timeoutMs} ms (is the silent callback page served, and may the provider's cookies reach an iframe?)`,
        ),
      )
    }, timeoutMs)
    const abort = () => {
      done()
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', abort)
    function done() {
      clock.clearTimeout(timer)
      unsubscribe()
      frame.remove()
      signal?.removeEventListener('abort', abort)
    }
  })
}
