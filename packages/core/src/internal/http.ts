/**
 * The one place requests leave openrp: HTTPS policy, deadline, body size cap and retries of
 * idempotent requests. oauth4webapi gets it through its `customFetch` option.
 *
 * @module
 */
import { NetworkError, OpenRpError, ValidationError } from '../errors.ts'
import type { ResolvedOptions } from '../options.ts'
import { bufferedResponse, isBufferedResponse } from './buffered-response.ts'
import type { Deadline } from './deadline.ts'
import { isRetryableStatus, parseRetryAfter, retryDelay, sleep } from './retry.ts'

/** A fetch as oauth4webapi calls it (`customFetch`). */
// biome-ignore lint/suspicious/noExplicitAny: oauth4webapi's body types vary per endpoint
export type FetchLike = (url: string, init: any) => Promise<Response>

export interface RequestPolicy {
  /** Retry on network errors, 5xx and 429 (only for idempotent requests). */
  retry: boolean
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost'])

/** Whether `url` points at this machine (127.0.0.1, ::1, localhost). */
export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost')
}

/**
 * Throws `INSECURE_ENDPOINT` unless `url` is `https:`, or `http:` on a loopback host, or
 * `dangerouslyAllowInsecureHttp` is set.
 */
export function assertSecureUrl(
  url: URL,
  options: Pick<ResolvedOptions, 'dangerouslyAllowInsecureHttp'>,
): void {
  if (url.protocol === 'https:') return
  if (url.protocol === 'http:' && (isLoopback(url) || options.dangerouslyAllowInsecureHttp)) return
  throw new ValidationError(
    'INSECURE_ENDPOINT',
    `Refusing ${url.protocol} endpoint ${url.origin}: only https (or http on loopback) is allowed`,
  )
}

/**
 * Builds the fetch for one operation: follows the deadline, caps the body, retries when the
 * policy allows.
 */
export function createFetch(
  options: ResolvedOptions,
  deadline: Deadline,
  policy: RequestPolicy,
): FetchLike {
  return async (url, init) => {
    // An https: URL passes the policy as it is; only other schemes need a parse.
    if (!url.startsWith('https://')) assertSecureUrl(new URL(url), options)
    const maxRetries = policy.retry ? options.retry.maxRetries : 0
    for (let attempt = 0; ; attempt++) {
      let response: Response
      try {
        // Called unbound: browsers' fetch throws "Illegal invocation" with `this` = options.
        const fetchImpl = options.fetch
        response = await fetchImpl(url, { ...(init as RequestInit), signal: deadline.signal })
      } catch (error) {
        if (deadline.signal.aborted) throw deadline.error(error)
        if (attempt < maxRetries) {
          await wait(retryDelay(attempt + 1, undefined, options.retry), deadline)
          continue
        }
        throw new NetworkError(`Request to ${new URL(url).origin} failed`, { cause: error })
      }
      if (attempt < maxRetries && isRetryableStatus(response.status)) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'))
        await response.body?.cancel().catch(() => {})
        await wait(retryDelay(attempt + 1, retryAfter, options.retry), deadline)
        continue
      }
      // Browsers answer redirect: 'manual' with an opaque redirect (status 0, no body).
      if (response.status < 200 || response.status > 599) return response
      return readCapped(response, url, options.maxResponseBytes, deadline)
    }
  }
}

async function wait(ms: number, deadline: Deadline): Promise<void> {
  try {
    await sleep(ms, deadline.signal)
  } catch (error) {
    throw deadline.error(error)
  }
}

/** Reads the body into memory (at most `maxBytes`) and returns it as a buffered response. */
async function readCapped(
  response: Response,
  url: string,
  maxBytes: number,
  deadline: Deadline,
): Promise<Response> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {})
    throw tooLarge(maxBytes)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  if (response.body) {
    const reader = response.body.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        size += value.byteLength
        if (size > maxBytes) {
          await reader.cancel().catch(() => {})
          throw tooLarge(maxBytes)
        }
        chunks.push(value)
      }
    } catch (error) {
      if (error instanceof OpenRpError) throw error
      if (deadline.signal.aborted) throw deadline.error(error)
      throw new NetworkError('The response body could not be read', { cause: error })
    }
  }
  let body: Uint8Array
  if (chunks.length === 1) body = chunks[0] as Uint8Array
  else {
    body = new Uint8Array(size)
    let offset = 0
    for (const chunk of chunks) {
      body.set(chunk, offset)
      offset += chunk.byteLength
    }
  }
  return bufferedResponse(body, response, url)
}

/**
 * The body of `response` parsed as JSON, leaving `response` unread: from the bytes already in
 * memory when this module read it (no clone, no second stream, even after the body was
 * consumed; the next `json()` reuses the parsed value), else through `clone()`.
 * Rejects like `Response.json()` when the body is not JSON.
 */
export async function peekJson(response: Response): Promise<unknown> {
  if (isBufferedResponse(response)) return response.peekJson()
  return response.clone().json()
}

function tooLarge(maxBytes: number): ValidationError {
  return new ValidationError('RESPONSE_TOO_LARGE', `The response body exceeds ${maxBytes} bytes`)
}
