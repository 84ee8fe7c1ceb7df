/**
 * `useAuth()`: the sign-in state and actions of the nearest `<AuthProvider>`.
 *
 * @module
 */
import { InvalidArgumentError } from '@openrp/core'
import { useContext } from 'react'
import { type AuthContextValue, AuthContext } from './auth-context.ts'

/**
 * The sign-in state (`status`, `user`, `error`) and actions (`loginWithRedirect`,
 * `loginWithPopup`, `logout`, `getAccessToken`, `fetch`) of the nearest {@link AuthProvider}.
 * The component re-renders on every session change, in this tab or another one. The actions
 * keep their identity while the client does, so they are safe in effect dependencies.
 *
 * Throws `INVALID_ARGUMENT` when there is no `<AuthProvider>` above.
 *
 * @example
 * ```tsx
 * function Account() {
 *   const { status, user, error, loginWithRedirect, logout } = useAuth()
 *   if (status === 'loading') return <p>Loading…</p>
 *   if (status === 'error') return <p role="alert">Sign-in failed ({error?.code})</p>
 *   if (status === 'signedOut') return <button onClick={() => loginWithRedirect()}>Sign in</button>
 *   return <button onClick={() => logout()}>Sign out {user?.name as string}</button>
 * }
 * ```
 */
export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext)
  if (!value) throw new InvalidArgumentError('useAuth() needs an <AuthProvider> above it')
  return value
}
