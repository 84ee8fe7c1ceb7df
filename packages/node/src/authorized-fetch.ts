/**
 * A `fetch` that sends a valid machine-to-machine access token with every request, and tries
 * once more with a fresh token when the resource answers 401.
 *
 * @module
 */
import { InvalidArgumentError, OpenRpError, type TokenSet, ValidationError } from '@openrp/core'
import type { ClientCredentialsProvider, GetTokenOptions } from './client-credentials-provider.ts'

/** Options of {@link createAuthorizedFetch}. */
export interface AuthorizedFetchOptions
  extends Omit<GetTokenOptions, 'forceRefresh' | 'rejectedToken'> {
  /**
   * Origins the token may be sent to, e.g. `['https://api.example.com']`. Requests elsewhere
   * are refused with `INVALID_ARGUMENT` before anything is sent, so a URL built from outside
   * input cannot leak the token. Strongly recommended; when omitted any origin is allowed.
   */
  allowedOrigins?: (string | URL)[]
  /** The fetch that sends requests (default `globalThis.fetch`). */
  fetch?: typeof fetch
}

/**
 * Wraps `fetch` so each request carries `Authorization: Bearer <token>` from `provider`
 * (a cached token while it is valid). When the answer is 401, the token is renewed once and
 * the request sent again; a second 401 is returned as is. Request bodies are replayable
 * (streams are buffered by `Request.clone()`).
 *
 * An `Authorization` header set by the caller is replaced. Plain `http:` is refused for
 * non-loopback hosts (`INSECURE_ENDPOINT`).
 *
 * @example
 * ```ts
 * const provider = new ClientCredentialsProvider({ client, store: new FileStore({ dir }) })
 * const api = createAuthorizedFetch(provider, {
 *   audience: 'https://api.example.com',
 *   allowedOrigins: ['https://api.example.com'],
 * })
 * const res = await api('https://api.example.com/data')
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export function createAuthorizedFetch(
  provider: Pick<ClientCredentialsProvider, 'getToken'>,
  options: AuthorizedFetchOptions = {},
): typeof fetch {
  const { allowedOrigins, fetch: fetchImpl = globalThis.fetch, ...tokenOptions } = options
  if (typeof fetchImpl !== 'function') throw new InvalidArgumentError('fetch must be a function')
  const origins = allowedOrigins?.map((origin) => {
    try {
      return new URL(origin).origin
    } catch {
      throw new InvalidArgumentError(`allowedOrigins has an invalid URL: ${String(origin)}`)
    }
  })

  const authorizedFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    if (origins && !origins.includes(url.origin))
      throw new InvalidArgumentError(
        `The token is not sent to ${url.origin}: not an allowed origin`,
      )
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname)))
      throw new ValidationError(
        'INSECURE_ENDPOINT',
        `The token is not sent over ${url.protocol} to ${url.hostname}`,
      )

    const sent = await provider.getToken(tokenOptions)
    const first = await fetchImpl(withToken(request.clone(), sent))
    if (first.status !== 401) return first
    // Drain the first answer so its connection can be reused, then retry with a fresh token:
    // a new one only if no other request has replaced the refused one already.
    await first.body?.cancel().catch(() => {})
    const fresh = await provider.getToken({ ...tokenOptions, rejectedToken: sent.accessToken })
    return fetchImpl(withToken(request, fresh))
  }
  return authorizedFetch as typeof fetch
}

function withToken(request: Request, tokens: TokenSet): Request {
  if (tokens.tokenType.toLowerCase() !== 'bearer')
    throw new OpenRpError(
      'UNSUPPORTED',
      `createAuthorizedFetch sends Bearer tokens; this token is of type ${tokens.tokenType}`,
    )
  const headers = new Headers(request.headers)
  headers.set('authorization', `Bearer ${tokens.accessToken}`)
  return new Request(request, { headers })
}

function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    hostname === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(hostname)
  )
}
