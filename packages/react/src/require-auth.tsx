/**
 * `<RequireAuth>` and `withAuthenticationRequired`: content for signed-in users only, with at
 * most one automatic login per mount.
 *
 * @module
 */
import type { RedirectLoginOptions } from '@openrp/browser'
import type { OpenRpError } from '@openrp/core'
import { type ComponentType, type ReactNode, useContext, useEffect, useRef, useState } from 'react'
import { AuthInternalsContext } from './auth-context.ts'
import type { AuthStatus } from './auth-state.ts'
import { asOpenRpError } from './redirect-callback.ts'
import { useAuth } from './use-auth.ts'

/**
 * What {@link RequireAuthProps.errorFallback} is told.
 *
 * @example
 * ```tsx
 * const Problem = ({ error, retry }: RequireAuthErrorProps) => (
 *   <button onClick={retry}>Sign in again ({error?.code ?? 'signed out'})</button>
 * )
 * ```
 */
export interface RequireAuthErrorProps {
  /** `'error'`, or `'signedOut'` (the session ended while shown, or the login did not start). */
  status: AuthStatus
  /** Why (its `code` is stable), or undefined for a plain logout (e.g. in another tab). */
  error: OpenRpError | undefined
  /** Starts a redirect login again: for a button the user clicks. */
  retry(): void
}

/**
 * Props of {@link RequireAuth}.
 *
 * @example
 * ```tsx
 * <RequireAuth fallback={<Spinner />} loginOptions={{ returnTo: '/orders' }}>
 *   <Orders />
 * </RequireAuth>
 * ```
 */
export interface RequireAuthProps {
  children?: ReactNode
  /** Shown while the session is read and while the browser leaves for the provider. */
  fallback?: ReactNode
  /**
   * Shown instead of a second automatic login: when the provider's status is `'error'` (e.g. a
   * refused callback), when the automatic login could not start, and when the session ends
   * while the content is shown (expired, or logged out in another tab), so unsaved work on the
   * page is not navigated away from. Default: nothing.
   */
  errorFallback?: ReactNode | ((props: RequireAuthErrorProps) => ReactNode)
  /** Options of the automatic `loginWithRedirect` (default `returnTo`: the current page). */
  loginOptions?: RedirectLoginOptions
}

/**
 * Renders `children` to a signed-in user only. When the page is opened signed out, it starts
 * one redirect login (`returnTo` = this page) and shows `fallback`; it never starts a second one
 * in the same mount, and never one while the provider's status is `'error'`, so a refused
 * callback shows `errorFallback` instead of looping through the provider.
 *
 * @example
 * ```tsx
 * <Route
 *   path="/orders"
 *   element={
 *     <RequireAuth
 *       fallback={<p>Signing in…</p>}
 *       errorFallback={({ error, retry }) => (
 *         <p role="alert">
 *           Sign-in failed ({error?.code ?? 'signed out'}) <button onClick={retry}>Try again</button>
 *         </p>
 *       )}
 *     >
 *       <Orders />
 *     </RequireAuth>
 *   }
 * />
 * ```
 */
export function RequireAuth(props: RequireAuthProps): ReactNode {
  const { children, fallback = null, errorFallback = null, loginOptions } = props
  const auth = useAuth()
  const internals = useContext(AuthInternalsContext)
  /** The first status other than `loading` this mount saw: only `signedOut` there logs in. */
  const firstSettled = useRef<AuthStatus | undefined>(undefined)
  const attempted = useRef(false)
  const [failure, setFailure] = useState<OpenRpError | undefined>(undefined)
  const [redirecting, setRedirecting] = useState(false)
  const options = useRef(loginOptions)
  options.current = loginOptions

  if (auth.status !== 'loading') firstSettled.current ??= auth.status
  const shouldLogIn =
    auth.status === 'signedOut' && firstSettled.current === 'signedOut' && !attempted.current

  useEffect(() => {
    // A ref, not state: StrictMode runs this effect twice in one mount, and both runs see it.
    if (!shouldLogIn || attempted.current || !internals) return
    attempted.current = true
    setRedirecting(true)
    internals.redirectOnce(options.current).catch((error: unknown) => {
      setFailure(asOpenRpError(error))
      setRedirecting(false)
    })
  }, [shouldLogIn, internals])

  if (auth.status === 'signedIn') {
    // Signed in (e.g. in another tab): a failed login is no longer why a later sign-out happens.
    if (failure) setFailure(undefined)
    return children
  }
  if (auth.status === 'loading' || ((shouldLogIn || redirecting) && !failure)) return fallback
  const retry = () => {
    setFailure(undefined)
    setRedirecting(true)
    // The provider's action: with no client (server, refused options) it rejects, typed.
    auth.loginWithRedirect(options.current).catch((error: unknown) => {
      setFailure(asOpenRpError(error))
      setRedirecting(false)
    })
  }
  const error = failure ?? auth.error
  return typeof errorFallback === 'function'
    ? errorFallback({ status: auth.status, error, retry })
    : errorFallback
}

/**
 * Options of {@link withAuthenticationRequired}: the props of {@link RequireAuth}.
 *
 * @example
 * ```tsx
 * const options: WithAuthenticationRequiredOptions = { fallback: <Spinner /> }
 * ```
 */
export type WithAuthenticationRequiredOptions = Omit<RequireAuthProps, 'children'>

/**
 * `Component` wrapped in {@link RequireAuth}: the same single automatic login, the same
 * `fallback` and `errorFallback`.
 *
 * @example
 * ```tsx
 * const ProtectedOrders = withAuthenticationRequired(Orders, { fallback: <p>Signing in…</p> })
 * ```
 */
export function withAuthenticationRequired<P extends object>(
  Component: ComponentType<P>,
  options: WithAuthenticationRequiredOptions = {},
): ComponentType<P> {
  function WithAuthenticationRequired(props: P): ReactNode {
    return (
      <RequireAuth {...options}>
        <Component {...props} />
      </RequireAuth>
    )
  }
  WithAuthenticationRequired.displayName = `withAuthenticationRequired(${Component.displayName ?? Component.name ?? 'Component'})`
  return WithAuthenticationRequired
}
