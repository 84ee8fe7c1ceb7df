/**
 * `useAccessToken()`: the current access token as React state, for data-fetching libraries.
 *
 * @module
 */
import type { OpenRpError } from '@openrp/core'
import { useEffect, useState } from 'react'
import { asOpenRpError } from './redirect-callback.ts'
import { useAuth } from './use-auth.ts'

/**
 * What {@link useAccessToken} returns.
 *
 * @example
 * ```tsx
 * const { accessToken, loading, error }: AccessTokenState = useAccessToken()
 * ```
 */
export interface AccessTokenState {
  /** A valid access token while signed in; undefined while loading, signed out or failed. */
  accessToken: string | undefined
  /** Why no token could be had (e.g. `SESSION_EXPIRED`, `INTERACTION_REQUIRED`). */
  error: OpenRpError | undefined
  /** True until the first token (or the answer that there is none) is known. */
  loading: boolean
}

/** No token yet: the state until the first answer of a session. */
const NO_TOKEN: AccessTokenState & { version: number; sub?: string | undefined } = {
  accessToken: undefined,
  error: undefined,
  loading: true,
  version: -1,
}

/**
 * A valid access token as state: fetched when the user signs in and again after every session
 * change (renewal here or in another tab, login, logout), so it can be part of a query key and
 * queries re-run with the new token. Renewal itself stays the client's job (once across tabs,
 * ahead of expiry); to ask at the moment of a request, use `useAuth().getAccessToken()`.
 *
 * @example
 * ```tsx
 * import { useQuery } from '@tanstack/react-query'
 *
 * function Orders() {
 *   const { accessToken } = useAccessToken()
 *   const orders = useQuery({
 *     queryKey: ['orders', accessToken],
 *     enabled: accessToken !== undefined,
 *     queryFn: () =>
 *       fetch('/api/orders', { headers: { Authorization: `Bearer ${accessToken}` } }).then((r) => r.json()),
 *   })
 *   return <pre>{JSON.stringify(orders.data)}</pre>
 * }
 * ```
 */
export function useAccessToken(): AccessTokenState {
  const { status, version, getAccessToken, user } = useAuth()
  const sub = user?.sub
  const [state, setState] = useState(NO_TOKEN)

  useEffect(() => {
    if (status !== 'signedIn') {
      // The session ended (its tokens are revoked): the next one must not start with its token.
      setState(NO_TOKEN)
      return
    }
    let active = true
    getAccessToken().then(
      (accessToken) =>
        active && setState({ accessToken, error: undefined, loading: false, version, sub }),
      (error: unknown) =>
        active &&
        setState({
          accessToken: undefined,
          error: asOpenRpError(error),
          loading: false,
          version,
          sub,
        }),
    )
    return () => {
      active = false
    }
  }, [status, version, getAccessToken, sub])

  if (status === 'loading') return { accessToken: undefined, error: undefined, loading: true }
  if (status !== 'signedIn') return { accessToken: undefined, error: undefined, loading: false }
  // Signed in: the token of this session version, or still loading it. An older version's token
  // of the same user is kept meanwhile (still valid: renewal replaces it ahead of expiry);
  // another user's never is.
  const mine = state.version !== -1 && state.sub === sub
  return {
    accessToken: mine ? state.accessToken : undefined,
    error: mine ? state.error : undefined,
    loading: !mine,
  }
}
