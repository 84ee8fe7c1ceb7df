/**
 * The one place requests leave openrp: HTTPS policy, deadline, body size cap and retries of
 * idempotent operations. oauth4webapi gets the fetch through its `customFetch` option.
 *
 * @module
 */
import { NetworkError, OpenRpError, ValidationError } from '../errors.ts'
import type { ResolvedOptions } from '../options.ts'
import { bufferedResponse, isBufferedResponse } from './buffered-response.ts'
import type { Deadline } from './deadline.ts'
import { sleep } from '../clock.ts'
import { isRetryableStatus, parseRetryAfter, retryDelay } from './retry.ts'

/** A fetch as oauth4webapi calls it (`customFetch`). */
// biome-ignore lint/suspicious/noExplicitAny: oauth4webapi's body types vary per endpoint
export type FetchLike = (url: string, init: any) => Promise<Response>

export interface RequestPolicy {
  /** Retry on network errors, 5xx and 429 (only for idempotent requests). */
  retry: boolean
  /**
   * Nobody reads the body of a 200 (revocation, RFC 7009 §2.2): one larger than the cap is
   * dropped (read no further, its stream cancelled) instead of refused with RESPONSE_TOO_LARGE.
   */
  ignoreOkBody?: boolean | undefined
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
 * Thrown by the fetch of an attempt that may be retried when its request failed in a way worth
 * another attempt; {@link withRetries} catches it, waits `delayMs` and runs the attempt again.
 */
class RetryAttempt extends Error {
  constructor(
    readonly fetch: FetchLike,
    readonly delayMs: number,
  ) {
    super('retry')
  }
}

/**
 * Runs `attempt` with a fetch that follows the deadline and caps the body. When the policy
 * allows retries and a request fails on the network or gets 408 / 425 / 429 / 5xx, the whole
 * attempt runs again after a backoff (or `Retry-After`): oauth4webapi builds the request anew,
 * so each one carries a fresh client assertion (`jti`, RFC 7523 §3) and a fresh DPoP proof
 * (RFC 9449 §11.1), never a replayed one. A `Retry-After` longer than `retry.maxDelayMs` ends
 * the retries at once with the provider's answer (its error then has `retryAfterMs`). The last
 * attempt's response goes to `attempt` as it is, so the provider's error is reported.
 */
export async function withRetries<T>(
  options: ResolvedOptions,
  deadline: Deadline,
  policy: RequestPolicy,
  attempt: (fetch: FetchLike) => Promise<T>,
): Promise<T> {
  const maxRetries = policy.retry ? options.retry.maxRetries : 0
  for (let retries = 0; ; retries++) {
    const retry = retries < maxRetries ? retries + 1 : undefined
    const fetch = createFetch(options, deadline, retry, policy.ignoreOkBody === true)
    try {
      return await attempt(fetch)
    } catch (error) {
      if (!(error instanceof RetryAttempt) || error.fetch !== fetch) throw error
      await wait(error.delayMs, deadline, options)
    }
  }
}

/**
 * The fetch of one attempt: follows the deadline and caps the body. `retry` is the number of
 * the retry that may follow (1-based), `undefined` when none may; `ignoreOkBody` as in
 * {@link RequestPolicy}.
 */
function createFetch(
  options: ResolvedOptions,
  deadline: Deadline,
  retry: number | undefined,
  ignoreOkBody: boolean,
): FetchLike {
  const fetch: FetchLike = async (url, init) => {
    // An https: URL passes the policy as it is; only other schemes need a parse.
    if (!url.startsWith('https://')) assertSecureUrl(new URL(url), options)
    let response: Response
    try {
      // Called unbound: browsers' fetch throws "Illegal invocation" with `this` = options.
      const fetchImpl = options.fetch
      response = await fetchImpl(url, { ...(init as RequestInit), signal: deadline.signal })
    } catch (error) {
      if (deadline.signal.aborted) throw deadline.error(error)
      const delay = retry === undefined ? undefined : retryDelay(retry, undefined, options.retry)
      if (delay !== undefined) throw new RetryAttempt(fetch, delay)
      throw new NetworkError(`Request to ${new URL(url).origin} failed`, { cause: error })
    }
    if (retry !== undefined && isRetryableStatus(response.status)) {
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), options.clock.now())
      const delay = retryDelay(retry, retryAfter, options.retry)
      if (delay !== undefined) {
        await response.body?.cancel().catch(() => {})
        throw new RetryAttempt(fetch, delay)
      }
    }
    // Browsers answer redirect: 'manual' with an opaque redirect (status 0, no body).
    if (response.status < 200 || response.status > 599) return response
    const droppable = ignoreOkBody && response.status === 200
    return readCapped(response, url, options.maxResponseBytes, deadline, droppable)
  }
  return fetch
}

async function wait(ms: number, deadline: Deadline, options: ResolvedOptions): Promise<void> {
  try {
    await sleep(options.clock, ms, deadline.signal)
  } catch (error) {
    throw deadline.error(error)
  }
}

/**
 * Reads the body into memory (at most `maxBytes`) and returns it as a buffered response. A body
 * over the cap is RESPONSE_TOO_LARGE, unless `droppable`: the response then comes back with an
 * empty body.
 */
async function readCapped(
  response: Response,
  url: string,
  maxBytes: number,
  deadline: Deadline,
  droppable: boolean,
): Promise<Response> {
  const declared = Number(response.headers.get('content-length'))
  // A 200 is read up to the cap anyway (its start may hold a rotated refresh token), unless
  // nobody reads it.
  if (Number.isFinite(declared) && declared > maxBytes && (response.status !== 200 || droppable)) {
    await response.body?.cancel().catch(() => {})
    if (droppable) return bufferedResponse(new Uint8Array(0), response, url)
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
          if (droppable) return bufferedResponse(new Uint8Array(0), response, url)
          // A 200 cut off here may still hold a rotated refresh token (see refresh()).
          const error = tooLarge(maxBytes)
          if (response.status === 200)
            partialBodies.set(error, concat(chunks, size - value.byteLength))
          throw error
        }
        chunks.push(value)
      }
    } catch (error) {
      if (error instanceof OpenRpError) throw error
      if (deadline.signal.aborted) throw deadline.error(error)
      throw new NetworkError('The response body could not be read', { cause: error })
    }
  }
  return bufferedResponse(concat(chunks, size), response, url)
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}

/**
 * The bytes read of 200 answers refused as too large, by their error: held beside the error, not
 * on it (they may hold tokens, and errors get logged).
 */
const partialBodies = new WeakMap<object, Uint8Array>()

/**
 * The text of a 200 answer that failed: the whole body when `response` is one, else the part read
 * before `error` (RESPONSE_TOO_LARGE) cut it off; `undefined` when there is none.
 */
export function failedAnswerText(
  response: Response | undefined,
  error: unknown,
): string | undefined {
  if (response?.status === 200 && isBufferedResponse(response)) return response.peekText()
  const partial = typeof error === 'object' && error !== null ? partialBodies.get(error) : undefined
  return partial && new TextDecoder().decode(partial)
}

function tooLarge(maxBytes: number): ValidationError {
  return new ValidationError('RESPONSE_TOO_LARGE', `The response body exceeds ${maxBytes} bytes`)
}
