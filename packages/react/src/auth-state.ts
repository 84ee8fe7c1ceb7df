/**
 * The sign-in state a React app sees, as one small state machine: its states, the events that
 * move it, and the one function (`nextAuthState`) that applies them.
 *
 * | from            | event                                   | to          |
 * | --------------- | --------------------------------------- | ----------- |
 * | (first render)  | —                                       | `loading`   |
 * | `loading`       | `resolved` (a usable session)           | `signedIn`  |
 * | `loading`       | `resolved` (nobody)                     | `signedOut` |
 * | `loading`       | `failed` (callback refused, store down) | `error`     |
 * | any             | `resolved` + `error` (app hook threw)   | as `resolved`, `error` = why |
 * | any             | `login` / `refreshed` (any tab)         | `signedIn`  |
 * | any             | `logout` (any tab)                      | `signedOut` |
 * | any             | `expired` (renewal refused)             | `signedOut`, `error` = why |
 *
 * The app hook is the provider's `onRedirectCallback`: when it throws or rejects, the session is
 * read again and shown with that error.
 *
 * A server render never leaves `loading`: the session lives in the browser.
 *
 * @module
 */
import type { IdTokenClaims, OpenRpError } from '@openrp/core'

/**
 * Where the sign-in stands.
 *
 * @example
 * ```tsx
 * function Header() {
 *   const { status } = useAuth()
 *   if (status === 'loading') return <Spinner />
 *   return <Nav />
 * }
 * ```
 */
export type AuthStatus = 'loading' | 'signedIn' | 'signedOut' | 'error'

/**
 * The state `useAuth()` returns (besides the actions).
 *
 * @example
 * ```tsx
 * function Greeting() {
 *   const { status, user, error } = useAuth()
 *   if (status === 'signedOut' && error?.code === 'SESSION_EXPIRED') return <p>Session ended</p>
 *   return <p>Hello {user?.sub}</p>
 * }
 * ```
 */
export interface AuthState {
  /**
   * `'loading'` until the session (and a redirect callback in the URL) has been read, then
   * `'signedIn'`, `'signedOut'`, or `'error'` when that failed (e.g. a refused callback).
   */
  status: AuthStatus
  /**
   * The signed-in user's ID token claims (`signedIn` only; undefined for a session without an
   * ID token, e.g. an OAuth 2.0 scope without `openid`).
   */
  user: IdTokenClaims | undefined
  /**
   * Why the status is `'error'`, why a session ended (`'signedOut'` after `expired`: e.g.
   * `SESSION_EXPIRED`, `INTERACTION_REQUIRED`), or what the app's `onRedirectCallback` threw
   * (beside the status the callback left). Undefined otherwise. Its `code` is stable.
   */
  error: OpenRpError | undefined
  /**
   * Counts the session changes seen (login, refresh, logout, expiry, in any tab), so effects
   * can depend on "the tokens changed" (e.g. {@link useAccessToken}). It goes on counting when
   * the provider is given another client, so one number never stands for two clients' states.
   */
  version: number
}

/**
 * What moves the state (see {@link nextAuthState}).
 *
 * @example
 * ```ts
 * const event: AuthEvent = { type: 'logout' }
 * ```
 */
export type AuthEvent =
  | {
      type: 'resolved' | 'login' | 'refreshed'
      user: IdTokenClaims | undefined
      /**
       * Whether a usable session exists (default: whether there is a `user`): a session without
       * an ID token (a scope without `openid`) is signed in with no user.
       */
      signedIn?: boolean
      /** Shown beside the status: e.g. what the app's `onRedirectCallback` threw. */
      error?: OpenRpError
    }
  | { type: 'failed'; error: OpenRpError }
  | { type: 'logout' }
  | { type: 'expired'; error: OpenRpError }

/**
 * The state of the first render, on the server and in the browser alike.
 *
 * @example
 * ```ts
 * INITIAL_AUTH_STATE.status // 'loading'
 * ```
 */
export const INITIAL_AUTH_STATE: AuthState = {
  status: 'loading',
  user: undefined,
  error: undefined,
  version: 0,
}

/**
 * The state after `event` (the table in this module's documentation).
 *
 * @example
 * ```ts
 * nextAuthState(INITIAL_AUTH_STATE, { type: 'resolved', user: undefined }).status // 'signedOut'
 * ```
 */
export function nextAuthState(state: AuthState, event: AuthEvent): AuthState {
  const version = state.version + 1
  switch (event.type) {
    case 'resolved':
    case 'login':
    case 'refreshed':
      // A refresh that finds no readable session (another tab logged out meanwhile) signs out.
      return (event.signedIn ?? event.user !== undefined)
        ? { status: 'signedIn', user: event.user, error: event.error, version }
        : { status: 'signedOut', user: undefined, error: event.error, version }
    case 'failed':
      return { status: 'error', user: undefined, error: event.error, version }
    case 'logout':
      return { status: 'signedOut', user: undefined, error: undefined, version }
    case 'expired':
      return { status: 'signedOut', user: undefined, error: event.error, version }
  }
}
