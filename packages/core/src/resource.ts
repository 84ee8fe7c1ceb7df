/**
 * Calls to protected resources with an access token: `Authorization: Bearer`, or `DPoP` plus
 * a proof (with one retry on `use_dpop_nonce`) for DPoP-bound tokens.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { assertDpopKey, withDpopNonceRetry } from './dpop.ts'
import { InvalidArgumentError } from './errors.ts'
import { operation } from './internal/operation.ts'
import { accessTokenOf, TokenSet } from './token-set.ts'
import type { HeadersLike } from './key-types.ts'

/** The request {@link fetchProtectedResource} sends: method, headers, body and an abort signal. */
export interface ProtectedResourceInit {
  method?: string
  headers?: HeadersLike
  body?: string | Uint8Array | URLSearchParams | null
  signal?: AbortSignal
}

/**
 * Sends a request to a resource server. The answer is returned as is (any status), except a
 * `401` with a `WWW-Authenticate` challenge, which becomes an OAuthError (e.g. `invalid_token`).
 * The body is capped like every response (`maxResponseBytes`).
 *
 * @example
 * ```ts
 * const res = await fetchProtectedResource(core, 'https://api.example.com/me', tokens)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-7
 */
export async function fetchProtectedResource(
  core: ClientCore,
  url: string | URL,
  tokenSet: TokenSet | string,
  init: ProtectedResourceInit = {},
): Promise<Response> {
  const accessToken = accessTokenOf(tokenSet)
  let target: URL
  try {
    target = new URL(url)
  } catch {
    throw new InvalidArgumentError('url must be an absolute URL')
  }
  const method = (init.method ?? 'GET').toUpperCase()
  if (tokenSet instanceof TokenSet && tokenSet.dpopJkt !== undefined)
    await assertDpopKey(core, tokenSet)
  return operation(
    core,
    { signal: init.signal, retry: false, context: 'resource' },
    async (http) => {
      const handle = await core.dpop()
      const bound =
        typeof tokenSet === 'string' ||
        (tokenSet instanceof TokenSet && tokenSet.tokenType === 'DPoP')
      const dpop = handle && bound ? handle : undefined
      return withDpopNonceRetry(core, () =>
        oauth.protectedResourceRequest(
          accessToken,
          method,
          target,
          new Headers(init.headers as ConstructorParameters<typeof Headers>[0]),
          init.body ?? null,
          {
            ...http,
            ...(dpop && { DPoP: dpop }),
          },
        ),
      )
    },
  )
}
