/**
 * `<AuthProvider>`: one SpaClient for the React tree, its session as React state, and the
 * redirect callback finished once per page load.
 *
 * @module
 */
import {
  createSpaClient,
  type RedirectCallbackResult,
  type RedirectLoginOptions,
  type SpaClient,
  type SpaClientOptions,
} from '@openrp/browser'
import { isOpenRpError, OpenRpError } from '@openrp/core'
import { type ReactNode, useEffect, useMemo, useReducer, useRef, useState } from 'react'
import {
  type AuthContextValue,
  AuthContext,
  type AuthInternals,
  AuthInternalsContext,
} from './auth-context.ts'
import { type AuthEvent, type AuthState, INITIAL_AUTH_STATE, nextAuthState } from './auth-state.ts'
import { asOpenRpError, pendingRedirectCallback } from './redirect-callback.ts'

/**
 * Props of {@link AuthProvider} besides the client or its options.
 *
 * @example
 * ```tsx
 * <AuthProvider client={spa} onRedirectCallback={(returnTo) => navigate(returnTo, { replace: true })} />
 * ```
 */
export interface AuthProviderBaseProps {
  children?: ReactNode
  /**
   * Called once after a redirect login (or the return from the provider's logout) was
   * finished, with the app path to go back to (`returnTo` of `loginWithRedirect`). Navigate
   * there with your router, e.g. `(returnTo) => navigate(returnTo, { replace: true })`.
   * Default: `history.replaceState` to `returnTo` (fine without a router). When it throws or
   * its promise rejects, the provider shows that as `error` (an `OpenRpError`, e.g.
   * `OAUTH_ERROR` whose `cause` is what was thrown) beside the session's status.
   */
  onRedirectCallback?: (returnTo: string, result: RedirectCallbackResult) => void
  /** Do not finish redirect callbacks here (another part of the app handles them). */
  skipRedirectCallback?: boolean
}

/**
 * Props of {@link AuthProvider}: a `client` you made, or the `options` to make one with
 * `createSpaClient` (read once, at the first render in the browser; change them by remounting
 * the provider with another `key`). A switch from one to the other without a remount is a
 * change of client: `loading` until the new one's session is read; a client made here is closed.
 *
 * @example
 * ```tsx
 * <AuthProvider options={{ issuer, clientId: 'my-spa', redirectUri: `${location.origin}/` }}>
 *   <App />
 * </AuthProvider>
 * ```
 */
export type AuthProviderProps = AuthProviderBaseProps &
  ({ client: SpaClient; options?: never } | { options: SpaClientOptions; client?: never })

/**
 * Provides the sign-in state to {@link useAuth}, {@link RequireAuth} and {@link useAccessToken}.
 *
 * - finishes a redirect callback found in the URL once, however often React mounts it
 *   (StrictMode, remounts): later mounts wait for the same result instead of showing
 *   `signedOut`; a stale response (the back button to the provider after a login, which
 *   answers again with an old `state`) is ignored while a session exists;
 * - re-renders on every session event of every tab: a login, refresh, logout or expiry in one
 *   tab is seen in all of them (SpaClient's `on()` events, carried across tabs by
 *   BroadcastChannel);
 * - renders `loading` on the server and at hydration: the session lives in the browser.
 *
 * @example
 * ```tsx
 * import { AuthProvider } from '@openrp/react'
 * import { useNavigate } from 'react-router'
 *
 * function Root() {
 *   const navigate = useNavigate()
 *   return (
 *     <AuthProvider
 *       options={{ issuer: 'https://op.example.com', clientId: 'my-spa', redirectUri: `${location.origin}/` }}
 *       onRedirectCallback={(returnTo) => navigate(returnTo, { replace: true })}
 *     >
 *       <App />
 *     </AuthProvider>
 *   )
 * }
 * ```
 */
export function AuthProvider(props: AuthProviderProps): ReactNode {
  const { children, skipRedirectCallback = false } = props
  // A client made here belongs to this provider; one passed in belongs to the app.
  const [made, setMade] = useState(() => makeClient(props))
  const client = props.client ?? made.client
  const [current, dispatch] = useReducer(nextClientState, {
    client: props.client,
    state: INITIAL_AUTH_STATE,
  })
  // Another client passed in: its state starts over, before anything renders with the old one
  // (React renders again at once, without committing this render).
  if (current.client !== props.client) dispatch({ client: props.client })
  const { state } = current
  const latest = useRef(props)
  latest.current = props
  /**
   * A client this provider made is closed a moment after its unmount, unless it mounts again
   * first: StrictMode unmounts and remounts at once, and a closed client cannot reopen.
   */
  const closeTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  /** The made client that timer closed: it cannot reopen if the provider is shown again. */
  const closed = useRef<SpaClient | undefined>(undefined)

  useEffect(() => {
    if (!client) {
      if (made.error) dispatch({ client: undefined, event: { type: 'failed', error: made.error } })
      // Given options after a client of the app's: make one from them now.
      else if (made.untried) setMade(makeClient(latest.current))
      return
    }
    const owned = client === made.client
    /** Whose state this effect's events move: the client passed in, or none (the one made here). */
    const owner = owned ? undefined : client
    if (owned && closed.current === client) {
      // Shown again after a longer absence (`<Activity>` hid it): make another from the options.
      setMade(makeClient(latest.current))
      return
    }
    // Only a client made here stops its own closing: one passed in lets the made one close.
    if (owned) clearTimeout(closeTimer.current)
    let active = true
    /** Bumped by every event: a slower read started earlier must not overwrite a newer state. */
    let generation = 0
    const apply = (event: AuthEvent, at: number) => {
      if (active && at === generation) dispatch({ client: owner, event })
    }
    const readUser = async (type: 'resolved' | 'login' | 'refreshed', hookError?: OpenRpError) => {
      const at = ++generation
      try {
        // A stored session that can no longer be used (expired, nothing to renew it) is nobody.
        const usable = await client.isAuthenticated()
        // No ID token (a scope without `openid`): signed in all the same, with no user.
        const user = usable ? await client.getUser() : undefined
        apply({ type, user, signedIn: usable, error: hookError }, at)
      } catch (error) {
        apply({ type: 'failed', error: asOpenRpError(error) }, at)
      }
    }
    const unsubscribe = [
      client.on('login', () => void readUser('login')),
      client.on('refreshed', () => void readUser('refreshed')),
      client.on('logout', () => apply({ type: 'logout' }, ++generation)),
      client.on('expired', ({ error }) => apply({ type: 'expired', error }, ++generation)),
    ]

    const start = async () => {
      const pending = skipRedirectCallback ? undefined : pendingRedirectCallback(client)
      if (!pending) return readUser('resolved')
      const outcome = await pending.outcome
      // Unmounted meanwhile (StrictMode's first mount): the next mount acts on the outcome.
      if (!active || pending.delivered) return readUser('resolved')
      pending.delivered = true
      if (outcome.ok) {
        const { result } = outcome
        const onRedirectCallback = latest.current.onRedirectCallback ?? restoreUrl
        // The app's hook failing (a throw or a rejection) is shown as `error` beside the session
        // it left; the state is read now, not after the hook's promise (e.g. a navigation).
        const hook = async () => onRedirectCallback(result.returnTo, result)
        hook().catch((error: unknown) => readUser('resolved', asOpenRpError(error)))
        return readUser('resolved')
      }
      // A response whose state this tab no longer knows, while signed in: the provider answered
      // an old request again (back button after a login). Nothing was stored from it.
      if (isStale(outcome.error) && (await client.isAuthenticated().catch(() => false)))
        return readUser('resolved')
      apply({ type: 'failed', error: outcome.error }, ++generation)
    }
    void start()

    return () => {
      active = false
      for (const off of unsubscribe) off()
      if (owned)
        closeTimer.current = setTimeout(() => {
          closed.current = client
          client.close()
        }, 0)
    }
  }, [client, made, skipRedirectCallback])

  const internals = useMemo<AuthInternals>(() => {
    /** This client's automatic login under way: another client's is none of its business. */
    let redirecting: Promise<void> | undefined
    return {
      redirectOnce(options?: RedirectLoginOptions) {
        if (!client) return Promise.reject(notReady())
        redirecting ??= client.loginWithRedirect(options).finally(() => {
          redirecting = undefined
        })
        return redirecting
      },
    }
  }, [client])
  const actions = useMemo(() => actionsOf(client), [client])
  const value = useMemo<AuthContextValue>(() => ({ ...state, ...actions }), [state, actions])

  return (
    <AuthInternalsContext.Provider value={internals}>
      <AuthContext.Provider value={value}>{children}</AuthContext.Provider>
    </AuthInternalsContext.Provider>
  )
}

/** The sign-in state and the client it belongs to (`undefined`: the one the provider made). */
interface ClientState {
  client: SpaClient | undefined
  state: AuthState
}

/** An event of `client`'s session, or (without `event`) the switch to `client`. */
interface ClientEvent {
  client: SpaClient | undefined
  event?: AuthEvent
}

/**
 * Applies the current client's events and drops the previous one's (sent before its effect was
 * cleaned up). A switch starts over at `loading`; `version` goes on counting, so it never names
 * two clients' states.
 */
function nextClientState(current: ClientState, { client, event }: ClientEvent): ClientState {
  if (!event)
    return { client, state: { ...INITIAL_AUTH_STATE, version: current.state.version + 1 } }
  return client === current.client
    ? { client, state: nextAuthState(current.state, event) }
    : current
}

/** What the provider made from `options`: a client, the error that refused them, or none. */
interface Made {
  client?: SpaClient
  error?: OpenRpError
  /** Not tried: a client was passed in (options given later make one then). */
  untried?: true
}

/**
 * The client for `options` in a browser (or wherever a `navigator` is injected); none on the
 * server, where nothing runs.
 */
function makeClient(props: AuthProviderProps): Made {
  if (props.client) return { untried: true }
  if (typeof window === 'undefined' && !props.options.navigator) return {}
  try {
    return { client: createSpaClient(props.options) }
  } catch (error) {
    return { error: asOpenRpError(error) }
  }
}

function actionsOf(client: SpaClient | undefined) {
  if (!client) {
    const fail = () => Promise.reject(notReady())
    return {
      loginWithRedirect: fail,
      loginWithPopup: fail,
      logout: fail,
      getAccessToken: fail,
      fetch: fail,
    } satisfies Omit<AuthContextValue, keyof typeof INITIAL_AUTH_STATE>
  }
  return {
    loginWithRedirect: (options) => client.loginWithRedirect(options),
    loginWithPopup: (options) => client.loginWithPopup(options),
    logout: (options) => client.logout(options),
    getAccessToken: () => client.getAccessToken(),
    fetch: (url, init) => client.fetch(url, init),
  } satisfies Omit<AuthContextValue, keyof typeof INITIAL_AUTH_STATE>
}

function notReady(): OpenRpError {
  return new OpenRpError(
    'UNSUPPORTED',
    'Signing in runs in the browser: this render has no SpaClient (server render, or its options were refused)',
  )
}

/** Unknown or replayed state: the response belongs to a login this tab already finished. */
function isStale(error: OpenRpError): boolean {
  return isOpenRpError(error, 'STATE_MISMATCH')
}

/** Default `onRedirectCallback`: put `returnTo` in the address bar, without a new entry. */
function restoreUrl(returnTo: string): void {
  if (typeof location === 'undefined') return // an injected navigator outside a browser
  const here = `${location.pathname}${location.search}${location.hash}`
  if (returnTo !== here) history.replaceState(history.state, '', returnTo)
}
