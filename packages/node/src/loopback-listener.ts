/**
 * A one-shot HTTP listener on a loopback address that receives one authorization response
 * (RFC 8252 §7.3): an ephemeral port, an exact path, the expected `state`, a timeout.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 * @module
 */
import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  AbortError,
  type Clock,
  InvalidArgumentError,
  NetworkError,
  systemClock,
  TimeoutError,
} from '@openrp/core'

/** Options of {@link startLoopbackListener}. */
export interface LoopbackListenerOptions {
  /** Loopback IP to bind: `127.0.0.1` (default) or `::1`. Never `localhost` (RFC 8252 §8.3). */
  host?: '127.0.0.1' | '::1'
  /** Port to bind; 0 (default) lets the system pick a free one. */
  port?: number
  /** The only path that is answered as a callback (default `/callback`). */
  path?: string
}

/** Options of {@link LoopbackListener.waitForCallback}. */
export interface WaitForCallbackOptions {
  /** The `state` of the authorization request; callbacks carrying another one are refused. */
  state: string
  /** How long to wait for the browser, ms (default 300 000 = 5 minutes). */
  timeoutMs?: number
  signal?: AbortSignal
  /**
   * Where `timeoutMs` is counted (default: the system clock). `loopbackLogin` passes the
   * client's `clock`; tests pass one they move by hand.
   *
   * @example
   * ```ts
   * import { systemClock } from '@openrp/core'
   * const callback = await listener.waitForCallback({ state, timeoutMs: 120_000, clock: systemClock })
   * ```
   */
  clock?: Clock
}

/** The browser's request to the redirect URI, held open until {@link respond} is called. */
export interface LoopbackCallback {
  /** The full callback URL, query included (the authorization response). */
  url: URL
  /**
   * Answers the browser with a small page and closes the listener. `ok: false` shows
   * `message` (plain words, never a token or code).
   */
  respond(outcome: { ok: true; message?: string } | { ok: false; message: string }): Promise<void>
}

/** A running listener; see {@link startLoopbackListener}. */
export interface LoopbackListener {
  /** `http://127.0.0.1:<port><path>`: the redirect URI to register in the request. */
  readonly redirectUri: string
  /**
   * Resolves with the first request to the exact path whose `state` matches. Requests with a
   * wrong or missing `state`, another path, host or method are refused and waiting goes on.
   * Rejects with `TIMEOUT` after `timeoutMs` or `ABORTED` when `signal` fires, closing the
   * listener.
   */
  waitForCallback(options: WaitForCallbackOptions): Promise<LoopbackCallback>
  /**
   * Stops listening and drops open connections (idempotent). A pending
   * {@link waitForCallback} rejects with `ABORTED` and leaves no timer behind.
   */
  close(): Promise<void>
}

const DEFAULT_TIMEOUT_MS = 300_000

/**
 * Starts listening on a loopback address. Call {@link LoopbackListener.waitForCallback} once
 * the authorization request (and its `state`) is built. Rejects with `NETWORK_ERROR` when it
 * cannot listen (a `port` in use, no `::1` on this host).
 *
 * @example
 * ```ts
 * const listener = await startLoopbackListener()
 * const { url, transaction } = await client.createAuthorizationRequest({ redirectUri: listener.redirectUri })
 * const callback = await listener.waitForCallback({ state: transaction.state })
 * ```
 */
export async function startLoopbackListener(
  options: LoopbackListenerOptions = {},
): Promise<LoopbackListener> {
  const host = options.host ?? '127.0.0.1'
  if (host !== '127.0.0.1' && host !== '::1')
    throw new InvalidArgumentError('host must be the loopback IP 127.0.0.1 or ::1')
  const path = options.path ?? '/callback'
  if (!path.startsWith('/') || path.includes('?') || path.includes('#'))
    throw new InvalidArgumentError('path must start with "/" and have no query or fragment')
  // Matched exactly against what the browser requests: the path as a URL writes it.
  if (new URL(path, 'http://127.0.0.1').pathname !== path)
    throw new InvalidArgumentError('path must be percent-encoded, with no "." or ".." segments')
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('port must be an integer from 0 to 65535')

  let waiter:
    | { state: string; resolve: (callback: LoopbackCallback) => void; reject: (e: Error) => void }
    | undefined
  let held: ServerResponse | undefined
  let done = false
  let closed: Promise<void> | undefined

  const server: Server = createServer((req, res) => {
    const refusal = checkRequest(req)
    if (refusal) return answer(res, refusal.status, refusal.title, refusal.message)
    const url = new URL(req.url ?? '/', base)
    if (done)
      return answer(res, 410, 'Already handled', 'This sign-in has been handled. Close this tab.')
    if (!waiter)
      return answer(res, 400, 'No sign-in in progress', 'The app is not waiting for a sign-in.')
    const state = url.searchParams.get('state')
    if (state === null || !sameString(state, waiter.state))
      return answer(
        res,
        400,
        'Sign-in not recognised',
        'This response does not belong to the sign-in in progress. Start again from the app.',
      )
    done = true
    held = res
    const { resolve } = waiter
    waiter = undefined
    resolve({
      url,
      async respond(outcome) {
        if (held !== res) return
        held = undefined
        if (outcome.ok)
          await answer(
            res,
            200,
            'Signed in',
            outcome.message ?? 'You are signed in. You can close this tab and go back to the app.',
          )
        else await answer(res, 400, 'Sign-in failed', outcome.message)
        await close()
      },
    })
  })

  await new Promise<void>((resolve, reject) => {
    // A port in use, an address this host lacks (no IPv6 for ::1): NETWORK_ERROR with the cause.
    const failed = (cause: NodeJS.ErrnoException) =>
      reject(
        new NetworkError(
          `Could not listen on ${host} port ${port} (${cause.code ?? cause.message})`,
          {
            cause,
          },
        ),
      )
    server.once('error', failed)
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', failed)
      resolve()
    })
  })
  const bound = (server.address() as AddressInfo).port
  const authority = host === '::1' ? `[::1]:${bound}` : `127.0.0.1:${bound}`
  const base = `http://${authority}`

  function checkRequest(
    req: IncomingMessage,
  ): { status: number; title: string; message: string } | undefined {
    if (req.headers.host !== authority)
      return {
        status: 421,
        title: 'Wrong address',
        message: 'This listener answers only on its own address.',
      }
    // Only GET: a HEAD (a prefetcher, a link checker) must not use up the one callback.
    if (req.method !== 'GET')
      return { status: 405, title: 'Method not allowed', message: 'Only GET is accepted here.' }
    const pathname = (req.url ?? '').split('?')[0]
    if (pathname !== path) return { status: 404, title: 'Not found', message: 'Nothing here.' }
    return undefined
  }

  function close(): Promise<void> {
    if (closed) return closed
    // A caller still waiting hears that nothing will come; its timer and listeners go with it.
    const pending = waiter
    waiter = undefined
    pending?.reject(new AbortError('The loopback listener was closed'))
    if (held) {
      const res = held
      held = undefined
      void answer(res, 503, 'Sign-in stopped', 'The app stopped waiting. Start again from the app.')
    }
    closed = new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeIdleConnections()
      // Connections still sending the last page end once it is flushed.
      setImmediate(() => server.closeAllConnections())
    })
    return closed
  }

  return {
    redirectUri: `${base}${path}`,
    close,
    waitForCallback({ state, timeoutMs = DEFAULT_TIMEOUT_MS, signal, clock = systemClock }) {
      if (typeof state !== 'string' || state === '')
        return Promise.reject(new InvalidArgumentError('state must be a non-empty string'))
      if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
        return Promise.reject(new InvalidArgumentError('timeoutMs must be a positive number'))
      if (waiter || done || closed)
        return Promise.reject(new InvalidArgumentError('this listener already has a callback'))
      return new Promise<LoopbackCallback>((resolve, reject) => {
        const fail = (error: Error) => {
          cleanup()
          if (waiter === entry) waiter = undefined
          void close()
          reject(error)
        }
        const onAbort = () => fail(new AbortError('The sign-in was cancelled'))
        const timer = clock.setTimeout(
          () => fail(new TimeoutError(timeoutMs, 'The browser sign-in')),
          timeoutMs,
        )
        // The wait alone never keeps the process alive: the listening server does that.
        ;(timer as { unref?: () => void } | undefined)?.unref?.()
        const cleanup = () => {
          clock.clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
        }
        const entry: NonNullable<typeof waiter> = {
          state,
          resolve: (callback) => {
            cleanup()
            resolve(callback)
          },
          reject: fail,
        }
        if (signal?.aborted) return onAbort()
        signal?.addEventListener('abort', onAbort, { once: true })
        waiter = entry
      })
    },
  }
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function answer(
  res: ServerResponse,
  status: number,
  title: string,
  message: string,
): Promise<void> {
  const body = page(title, message)
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    connection: 'close',
  })
  // A browser that has gone (a tab closed while the code was redeemed) never hears the page:
  // the answer is over then too, or respond() and the close after it would wait forever.
  if (res.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    res.once('close', () => resolve())
    res.end(body, () => resolve())
  })
}

function page(title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )
}
