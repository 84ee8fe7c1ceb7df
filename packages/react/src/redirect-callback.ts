/**
 * Finishes the redirect callback of this page load exactly once, however often React mounts
 * the provider: StrictMode runs effects twice in development, and a provider made from options
 * gets a new SpaClient on each mount. The first mount starts `handleRedirectCallback()` (which
 * strips the response from the address bar at once); a later mount, seeing a clean URL, joins
 * the same promise instead of concluding "signed out".
 *
 * @module
 */
import type { RedirectCallbackResult, SpaClient } from '@openrp/browser'
import { isOpenRpError, OpenRpError } from '@openrp/core'

/** How a redirect callback ended. */
export type CallbackOutcome =
  | { ok: true; result: RedirectCallbackResult }
  | { ok: false; error: OpenRpError }

/** One callback of this page load. */
export interface PendingCallback {
  /** The callback URL, as it was in the address bar. */
  readonly url: string
  readonly outcome: Promise<CallbackOutcome>
  /** Set once a provider that stayed mounted acted on the outcome (app hook, state). */
  delivered: boolean
}

/**
 * The callbacks of this page load, keyed by their URL (in practice one: a callback is a page
 * load). Module state on purpose: it must outlive every provider and client instance of the
 * page. Outside a browser (an injected navigator, no `location`) each callback is its own key.
 */
const callbacks = new Map<unknown, PendingCallback>()

/**
 * The callback this mount must wait for: the one in the address bar (started now, or joined if
 * another mount started it), else one an earlier mount started that no mounted provider has
 * acted on yet. `undefined` when there is none.
 */
export function pendingRedirectCallback(client: SpaClient): PendingCallback | undefined {
  if (client.isRedirectCallback()) {
    const url = globalThis.location?.href
    const known = url === undefined ? undefined : callbacks.get(url)
    if (known) return known
    // handleRedirectCallback() strips the response from the address bar before it awaits
    // anything, so a mount after this one sees a clean URL and joins below.
    const pending: PendingCallback = {
      url: url ?? '',
      outcome: settle(client.handleRedirectCallback()),
      delivered: false,
    }
    callbacks.set(url ?? pending, pending)
    return pending
  }
  for (const pending of callbacks.values()) if (!pending.delivered) return pending
  return undefined
}

async function settle(result: Promise<RedirectCallbackResult>): Promise<CallbackOutcome> {
  try {
    return { ok: true, result: await result }
  } catch (error) {
    return { ok: false, error: asOpenRpError(error) }
  }
}

/** The error as an OpenRpError with a stable `code` (foreign errors become `OAUTH_ERROR`). */
export function asOpenRpError(error: unknown): OpenRpError {
  if (isOpenRpError(error)) return error
  return new OpenRpError('OAUTH_ERROR', error instanceof Error ? error.message : String(error), {
    cause: error,
  })
}
