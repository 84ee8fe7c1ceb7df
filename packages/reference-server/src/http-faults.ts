/** The `http` faults: a wrong status, Retry-After, a slow answer or a spoiled body per endpoint. */
import type { MiddlewareHandler } from 'hono'
import { auth } from 'hono/utils/basic-auth'
import type { AppEnv } from './http.ts'
import { endpointOf } from './request-log.ts'
import type { ServerState } from './state.ts'
import type { EndpointName, HttpFault } from './types.ts'

const ONE_MIB = 1024 * 1024

function errorFor(status: number): string {
  if (status === 401) return 'invalid_client'
  if (status === 403) return 'access_denied'
  if (status === 429 || status === 503) return 'temporarily_unavailable'
  if (status >= 500) return 'server_error'
  return 'invalid_request'
}

function body(fault: HttpFault, status: number): { text: string; type: string } {
  switch (fault.body) {
    case 'malformed_json':
      return { text: '{"access_token": "abc", "token_type": ', type: 'application/json' }
    case 'html':
      return {
        text: '<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>',
        type: 'text/html',
      }
    case 'json_array':
      return { text: '[{"error":"unexpected array"}]', type: 'application/json' }
    case 'oversized':
      return {
        text: JSON.stringify({ error: errorFor(status), padding: 'x'.repeat(ONE_MIB + 1024) }),
        type: 'application/json',
      }
    case 'empty':
      return { text: '', type: 'application/json' }
    default:
      return {
        text: JSON.stringify({
          error: errorFor(status),
          error_description: `injected fault: HTTP ${status}`,
        }),
        type: 'application/json',
      }
  }
}

/** Waits `ms`, or less when the server closes. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** Adds the `pageHeaders` fault's headers to every HTML page. */
export function pageHeaderFaults(state: ServerState): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next()
    const headers = state.faults.current.pageHeaders
    if (!headers || !(c.res.headers.get('content-type') ?? '').startsWith('text/html')) return
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value)
  }
}

/** Applies the endpoint's HTTP fault before the real handler runs. */
export function httpFaults(state: ServerState, closing: AbortSignal): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const endpoint = endpointOf(new URL(c.req.url).pathname)
    if (['login', 'consent', 'device', 'control', 'other'].includes(endpoint)) return next()
    const fault = state.faults.http(endpoint as EndpointName)
    if (!fault) return next()
    // Record who asked although the real handler will not run.
    const log = c.get('log')
    if ((c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
      const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
      if (typeof form.grant_type === 'string') log.grantType = form.grant_type
      if (typeof form.client_id === 'string') log.clientId = form.client_id
    }
    log.clientId ??= auth(c.req.raw)?.username
    if (fault.delayMs) await sleep(fault.delayMs, closing)
    if (fault.status === undefined && fault.body === undefined) {
      await next()
      if (fault.retryAfter) c.header('Retry-After', fault.retryAfter)
      return
    }
    const status = fault.status ?? 200
    const { text, type } = body(fault, status)
    const headers: Record<string, string> = { 'Content-Type': type, 'Cache-Control': 'no-store' }
    if (fault.retryAfter) headers['Retry-After'] = fault.retryAfter
    return c.body(text, status as 200, headers)
  }
}
