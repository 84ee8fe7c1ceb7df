/** Hono environment and request helpers shared by the endpoints. */
import type { X509Certificate } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import { invalidRequest } from './errors.ts'

/** Per-request facts the request log records. */
export interface LogInfo {
  clientId?: string
  grantType?: string
  userCode?: string
}

/** What the TLS layer says about a request (see mtls.ts). */
export interface TlsInfo {
  /** The request came to the mutual-TLS listener (the `mtls_endpoint_aliases`). */
  mtls: boolean
  /** The client certificate presented on the connection, if any (RFC 8705). */
  clientCert?: X509Certificate
  /** The client certificate's chain validated to a CA of `mtlsCa` (RFC 8705 §2.1). */
  clientCertTrusted?: boolean
}

export type AppEnv = { Variables: { log: LogInfo; tls?: TlsInfo } }
export type AppContext = Context<AppEnv>

/** Parameters that may appear more than once (RFC 8707 `resource`, RFC 8693 `audience`). */
const REPEATABLE = new Set(['resource', 'audience'])

/**
 * Reads an `application/x-www-form-urlencoded` body with hono's parser. Refuses other content
 * types and repeated parameters (RFC 6749 §3.1: "parameters MUST NOT be included more than once");
 * a parameter without a value is left out, as if omitted (RFC 6749 §3.1, §3.2).
 */
export async function readForm(c: AppContext): Promise<URLSearchParams> {
  const type = c.req.header('content-type') ?? ''
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw invalidRequest('the body must be application/x-www-form-urlencoded')
  }
  const body = await c.req.parseBody({ all: true })
  const form = new URLSearchParams()
  for (const [name, value] of Object.entries(body)) {
    const values = (Array.isArray(value) ? value : [value]).filter((v) => v !== '')
    if (values.length > 1 && !REPEATABLE.has(name)) {
      throw invalidRequest(`parameter ${name} is repeated`)
    }
    for (const v of values) {
      if (typeof v !== 'string') throw invalidRequest(`parameter ${name} is not text`)
      form.append(name, v)
    }
  }
  return form
}

/** The query parameters, refusing repeated ones and leaving out those without a value. */
export function readQuery(c: AppContext): URLSearchParams {
  const params = new URL(c.req.url).searchParams
  const out = new URLSearchParams()
  for (const [name, value] of params) {
    if (value === '') continue
    if (out.has(name) && !REPEATABLE.has(name))
      throw invalidRequest(`parameter ${name} is repeated`)
    out.append(name, value)
  }
  return out
}

/** Splits a space-separated list (scope, prompt, acr_values). */
export function splitList(value: string | null | undefined): string[] {
  return (value ?? '').split(' ').filter(Boolean)
}

/** The address the request came from (the TCP peer), or `unknown`. */
export function remoteAddress(c: AppContext): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  return incoming?.socket?.remoteAddress ?? 'unknown'
}
