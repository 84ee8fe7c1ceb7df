/**
 * `@openrp/react`: sign-in for React apps on `@openrp/browser`. Safe under StrictMode (one
 * redirect callback per page load), with the back button (a stale response is ignored) and in
 * many tabs (every tab sees every login, refresh and logout).
 *
 * @module
 */
export {
  AuthProvider,
  type AuthProviderBaseProps,
  type AuthProviderProps,
} from './auth-provider.tsx'
export type { AuthContextValue } from './auth-context.ts'
export {
  type AuthEvent,
  type AuthState,
  type AuthStatus,
  INITIAL_AUTH_STATE,
  nextAuthState,
} from './auth-state.ts'
export { useAuth } from './use-auth.ts'
export {
  RequireAuth,
  type RequireAuthErrorProps,
  type RequireAuthProps,
  type WithAuthenticationRequiredOptions,
  withAuthenticationRequired,
} from './require-auth.tsx'
export { type AccessTokenState, useAccessToken } from './use-access-token.ts'
