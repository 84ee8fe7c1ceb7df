/**
 * What `<AuthProvider>` hands down: the state, the actions, and (internally) the client.
 *
 * @module
 */
import type { LogoutOptions, RedirectLoginOptions, LoginOptions } from '@openrp/browser'
import type { ProtectedResourceInit, TokenSet } from '@openrp/core'
import { createContext } from 'react'
import type { AuthState } from './auth-state.ts'

/**
 * What {@link useAuth} returns: the sign-in state and what the app can do with it.
 *
 * @example
 * ```tsx
 * const { status, loginWithRedirect, fetch }: AuthContextValue = useAuth()
 * ```
 */
export interface AuthContextValue extends AuthState {
  /**
   * Sends the browser to the provider's login page (`SpaClient.loginWithRedirect`). After the
   * callback, the provider's `onRedirectCallback` gets `options.returnTo` (default: this page).
   */
  loginWithRedirect(options?: RedirectLoginOptions): Promise<void>
  /** Signs in in a popup; call it in a click handler (`SpaClient.loginWithPopup`). */
  loginWithPopup(options?: LoginOptions): Promise<TokenSet>
  /** Signs out in every tab, revokes, then the provider's logout (`SpaClient.logout`). */
  logout(options?: LogoutOptions): Promise<void>
  /** A valid access token, renewed when due, once across tabs (`SpaClient.getAccessToken`). */
  getAccessToken(): Promise<string>
  /** `fetch` with the access token: Bearer, or DPoP when bound (`SpaClient.fetch`). */
  fetch(url: string | URL, init?: ProtectedResourceInit): Promise<Response>
}

/** Internal: the provider's one-at-a-time automatic login (for RequireAuth). */
export interface AuthInternals {
  /** Starts a redirect login unless one this client started for RequireAuth is under way. */
  redirectOnce(options?: RedirectLoginOptions): Promise<void>
}

// Pure annotations keep both out of a bundle that imports nothing of this package.
export const AuthContext = /* @__PURE__ */ createContext<AuthContextValue | undefined>(undefined)

export const AuthInternalsContext = /* @__PURE__ */ createContext<AuthInternals | undefined>(
  undefined,
)
