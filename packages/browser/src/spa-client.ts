/**
 * `createSpaClient`: what a single-page app calls to sign users in and keep a valid access token.
 * Authorization code + PKCE by redirect or popup, silent renewal (refresh token, else a hidden
 * `prompt=none` iframe), RP-initiated logout, one refresh across tabs, optional DPoP.
 *
 * @module
 */
import {
  ANSWER_TIMEOUT_MS,
  AbortError,
  type AuthTransaction,
  type Clock,
  type ClientCore,
  createAuthorizationRequest,
  createPublicClientCore,
  discoverMetadata,
  endSessionUrl,
  fetchProtectedResource,
  handleAuthorizationResponse,
  type IdTokenClaims,
  InteractionRequiredError,
  InvalidArgumentError,
  isOpenRpError,
  OpenRpError,
  type ProtectedResourceInit,
  refresh,
  revoke,
  sleep,
  systemClock,
  TimeoutError,
  TokenManager,
  TokenSet,
  type TokenSetJSON,
  type UserinfoClaims,
  ValidationError,
} from '@openrp/core'
import { Emitter } from '@openrp/core/adapters'
import { indexedDbDpop } from './dpop-key.ts'
import { browserNavigator, type SpaNavigator } from './navigator.ts'
import { pageVisibility } from './page-visibility.ts'
import { openLoginPopup, waitForPopupResponse } from './popup.ts'
import { checkPostLogoutTarget, checkReturnTo } from './return-to.ts'
import { runSilentRequest } from './silent-renew.ts'
import type { SpaEvents } from './spa-events.ts'
import type {
  LoginOptions,
  LogoutOptions,
  RedirectCallbackResult,
  RedirectLoginOptions,
  SpaClientInit,
  SpaClientOptions,
} from './spa-options.ts'
import { defaultLock, resolveStore } from './spa-store.ts'
import { TabSync } from './tab-sync.ts'
import { TransactionStore } from './transaction-store.ts'
import {
  authorizationResponseParams,
  hasAuthorizationResponse,
  stripAuthorizationResponse,
  stripHandledResponse,
} from './url-cleanup.ts'

const DEFAULT_SCOPE = 'openid profile email offline_access'

/** How often a login's tokens are offered to a failing store (after 0.25, 0.5, 1 and 2 s). */
const STORE_ATTEMPTS = 5

/**
 * Creates the SPA client. Nothing is fetched until the first call that needs the provider.
 *
 * @example
 * ```ts
 * const spa = createSpaClient({
 *   issuer: 'https://op.example.com',
 *   clientId: 'my-spa',
 *   redirectUri: `${location.origin}/`,
 *   postLogoutRedirectUri: `${location.origin}/`,
 * })
 * if (spa.isRedirectCallback()) await spa.handleRedirectCallback()
 * if (!(await spa.isAuthenticated())) await spa.loginWithRedirect()
 * const res = await spa.fetch('https://api.example.com/me')
 * ```
 */
export function createSpaClient(options: SpaClientOptions): SpaClient {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('createSpaClient() needs an options object')
  const perTab =
    options.store === 'session' ||
    options.store === 'memory' ||
    (options.store === undefined && typeof indexedDB === 'undefined')
  return new SpaClient({
    ...options,
    store: resolveStore(options.store),
    storeScope: options.storeScope ?? (perTab ? 'tab' : 'shared'),
    lock: options.lock ?? defaultLock(),
    dpop: options.dpop === true ? indexedDbDpop() : options.dpop || undefined,
  })
}

/**
 * A signed-in (or not yet) single-page app. Create with {@link createSpaClient}, or with
 * `new SpaClient()` and the store, lock and DPoP as instances: then the bundle carries only the
 * ones you name, not every `StoreChoice` and no DPoP code unless asked for.
 *
 * @example
 * ```ts
 * const spa = new SpaClient({
 *   issuer: 'https://op.example.com',
 *   clientId: 'my-spa',
 *   redirectUri: `${location.origin}/`,
 *   store: new EncryptedStore(new IndexedDbStore()),
 *   lock: new WebLocksLock(),
 *   dpop: indexedDbDpop(), // optional
 * })
 * ```
 */
export class SpaClient {
  readonly #options: SpaClientInit
  readonly #navigator: SpaNavigator
  readonly #transactions: TransactionStore
  readonly #events = new Emitter<SpaEvents>()
  /** The issuer, as discovery compares it: sessions and transactions are this issuer's. */
  readonly #issuer: string
  readonly #key: string
  readonly #popupRedirectUri: string
  readonly #silentRedirectUri: string
  readonly #clock: Clock
  #core: Promise<ClientCore> | undefined
  #manager: Promise<TokenManager> | undefined
  #sync: TabSync | undefined
  #signedInHere = false
  /** `sub` of the session last seen here: another tab's login as someone else is a `login`. */
  #user: string | undefined
  /** Aborted by close(): a popup login or silent renewal still waiting then ends (`ABORTED`). */
  readonly #closing = new AbortController()
  /** Logouts here or heard from other tabs: a login whose tokens wait for the store yields. */
  #logouts = 0

  constructor(options: SpaClientInit) {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('SpaClient needs an options object')
    if (typeof options.store?.get !== 'function' || typeof options.lock?.withLock !== 'function')
      throw new InvalidArgumentError(
        'SpaClient needs a Store and a Lock (createSpaClient picks both)',
      )
    if (options.dpop !== undefined && typeof options.dpop?.attach !== 'function')
      throw new InvalidArgumentError('SpaClient needs dpop as a SpaDpop, e.g. indexedDbDpop()')
    if (!options.issuer && !options.metadata)
      throw new InvalidArgumentError('createSpaClient() needs `issuer` or `metadata`')
    if (typeof options.clientId !== 'string' || options.clientId === '')
      throw new InvalidArgumentError('options.clientId must be a non-empty string')
    if (typeof options.redirectUri !== 'string')
      throw new InvalidArgumentError('options.redirectUri must be a URL string')
    this.#options = options
    if (!options.navigator && typeof window === 'undefined')
      throw new InvalidArgumentError(
        'createSpaClient() runs in a browser; elsewhere pass options.navigator',
      )
    this.#navigator = options.navigator ?? browserNavigator()
    this.#issuer = issuerId(options.metadata?.issuer ?? options.issuer)
    this.#key = sessionKey(options)
    this.#clock = options.clock ?? systemClock
    this.#transactions = new TransactionStore(
      this.#navigator.sessionStorage,
      options.clientId,
      this.#issuer,
      this.#clock,
    )
    this.#popupRedirectUri = options.popupRedirectUri ?? sibling('popup-callback.html', options)
    this.#silentRedirectUri = options.silentRedirectUri ?? sibling('silent-callback.html', options)
  }

  /**
   * Sends the browser to the provider's login page. Resolves just before the page unloads.
   * The transaction (PKCE verifier, nonce, state) waits in sessionStorage, keyed by state.
   */
  async loginWithRedirect(options: RedirectLoginOptions = {}): Promise<void> {
    const returnTo =
      options.returnTo !== undefined
        ? checkReturnTo(options.returnTo, this.#navigator.origin(), this.#options.allowedReturnTo)
        : this.#currentReturnTo()
    const { url } = await this.#startLogin(options, this.#options.redirectUri, 'redirect', returnTo)
    this.#navigator.assign(url.toString())
  }

  /**
   * Whether the current URL (or `url`, absolute, else `INVALID_ARGUMENT`) carries an
   * authorization (or post-logout) response to handle.
   */
  isRedirectCallback(url: string = this.#navigator.currentUrl()): boolean {
    return hasAuthorizationResponse(url, this.#pendingLogout)
  }

  /**
   * Completes a redirect login (any response type, query or fragment) or a return from the
   * provider's logout. When `url` is the address bar's (the default), first removes `code`,
   * `state`, tokens, `iss`, `session_state` and error parameters from it
   * (`history.replaceState`), whatever happens next, even a code or error that came without
   * `state`; another URL (e.g. a deep link) leaves the address bar as it is.
   *
   * Throws ValidationError `STATE_MISSING` for a response without state and `STATE_MISMATCH` for
   * an unknown or replayed state (nothing stored either way), `ISS_MISMATCH`, `ID_TOKEN_*`,
   * OAuthError for error responses, `INVALID_ARGUMENT` for a `url` that is no absolute URL,
   * `LOGIN_REQUIRED` when a logout came while a failing store held up the tokens (revoked then).
   */
  async handleRedirectCallback(
    url: string = this.#navigator.currentUrl(),
  ): Promise<RedirectCallbackResult> {
    const params = authorizationResponseParams(url)
    // The address bar is cleaned when it holds this response (not for a deep link, say); `params`
    // has already refused a url that is no absolute URL.
    if (new URL(url).href === new URL(this.#navigator.currentUrl()).href)
      this.#navigator.replaceUrl(stripHandledResponse(url, this.#pendingLogout))
    const pending = this.#transactions.take(params.get('state'))
    const returnTo = pending.returnTo ?? '/'
    if (pending.mode === 'logout') return { type: 'logout', returnTo }
    if (pending.mode !== 'redirect')
      throw new ValidationError(
        'STATE_MISMATCH',
        `This response belongs to a ${pending.mode} login`,
      )
    const core = await this.#protocol()
    const tokenSet = await this.#completeLogin(core, url, pending.transaction as AuthTransaction)
    return { type: 'login', returnTo, tokenSet }
  }

  /**
   * Signs in in a popup. Call it directly in a click handler: the popup opens synchronously,
   * before anything is awaited. Rejects with `POPUP_BLOCKED`, `POPUP_CLOSED` or `POPUP_TIMEOUT`,
   * and with `ABORTED` when the client is closed meanwhile.
   */
  loginWithPopup(options: LoginOptions = {}): Promise<TokenSet> {
    let popup: ReturnType<typeof openLoginPopup>
    try {
      // A closed client opens no window only to close it again.
      this.#closing.signal.throwIfAborted()
      popup = openLoginPopup(this.#navigator, this.#options.popup)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#completePopup(popup, options)
  }

  async #completePopup(
    popup: ReturnType<typeof openLoginPopup>,
    options: LoginOptions,
  ): Promise<TokenSet> {
    let state: string | undefined
    try {
      const { core, url, transaction } = await this.#startLogin(
        options,
        this.#popupRedirectUri,
        'popup',
      )
      state = popup.state = transaction.state
      popup.navigate(url.toString())
      const responseUrl = await waitForPopupResponse(
        this.#navigator,
        popup,
        this.#options.popup,
        this.#clock,
        this.#closing.signal,
      )
      const pending = this.#transactions.take(
        authorizationResponseParams(responseUrl).get('state'),
        'popup',
      )
      state = undefined
      return await this.#completeLogin(core, responseUrl, pending.transaction as AuthTransaction)
    } catch (error) {
      popup.close()
      throw error
    } finally {
      if (state) this.#transactions.discard(state)
    }
  }

  /**
   * A valid access token: the stored one, or a renewed one when it expires within
   * `refreshSkewSec` (by refresh token, else silently in a hidden iframe). Tabs share one
   * renewal. Throws `LOGIN_REQUIRED` when nobody is signed in, InteractionRequiredError when
   * silent renewal needs the user (`login_required`), `SESSION_EXPIRED` when the provider
   * refused the refresh token (the session is then cleared in every tab).
   */
  async getAccessToken(): Promise<string> {
    const manager = await this.#tokens()
    try {
      return await manager.getAccessToken()
    } catch (error) {
      throw unwrapInteraction(error)
    }
  }

  /** The stored tokens, as they are (no renewal), or `undefined` when signed out. */
  async getTokenSet(): Promise<TokenSet | undefined> {
    return (await this.#tokens()).getTokenSet()
  }

  /**
   * The signed-in user's ID token claims, or `undefined` when signed out. With the `userinfo`
   * option, the claims {@link SpaClient.userinfo} fetched for this user are merged in (the ID
   * token's win where both have one). A stored session that cannot be read (STORE_ERROR, e.g.
   * written by another store setting or encrypted with a lost key) counts as signed out, and is
   * reported as an `error` event.
   */
  async getUser(): Promise<IdTokenClaims | undefined> {
    const claims = (await this.#readableTokenSet())?.claims()
    const kept = this.#options.userinfo
    return claims && kept ? kept.merge(claims, this.#options.store, this.#key) : claims
  }

  /**
   * Fetches the user's claims from the provider's UserInfo endpoint with the session's access
   * token (renewed first when due), checks that their `sub` is the ID token's
   * (`USERINFO_SUB_MISMATCH`), and keeps them with the session: `getUser()` returns them merged
   * until logout, and every login fetches them again. Needs the `userinfo` option
   * (`UNSUPPORTED` otherwise); `LOGIN_REQUIRED` when nobody is signed in.
   *
   * @example
   * ```ts
   * import { createSpaClient, spaUserinfo } from '@openrp/browser'
   * const spa = createSpaClient({ issuer, clientId, redirectUri, userinfo: spaUserinfo })
   * const { name, email } = await spa.userinfo()
   * ```
   * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
   */
  async userinfo(options: { signal?: AbortSignal } = {}): Promise<UserinfoClaims> {
    const kept = this.#options.userinfo
    if (!kept)
      throw new OpenRpError(
        'UNSUPPORTED',
        'spa.userinfo() needs createSpaClient({ ..., userinfo: spaUserinfo }) from @openrp/browser',
      )
    await this.getAccessToken() // renewed first when due
    // The session's set as stored now: another tab may have renewed it (or signed out).
    const tokens = await this.getTokenSet()
    if (!tokens) throw new OpenRpError('LOGIN_REQUIRED', 'The session ended meanwhile')
    const core = await this.#protocol()
    return kept.fetch(core, tokens, this.#options.store, this.#key, options.signal)
  }

  /**
   * Whether a session is stored whose access token is still valid or may be renewed (it has a
   * refresh token, or silent renewal is on). No network: `getAccessToken()` tells for sure. An
   * unreadable stored session counts as signed out (see {@link SpaClient.getUser}).
   */
  async isAuthenticated(): Promise<boolean> {
    const tokens = await this.#readableTokenSet()
    if (!tokens) return false
    return (
      tokens.refreshToken !== undefined ||
      !tokens.isExpired(0, this.#clock.now() / 1000) ||
      this.#options.silent !== false
    )
  }

  /**
   * Renews the tokens now, whatever their remaining life ("refresh now"): by refresh token, else
   * silently. Shares the cross-tab lock with automatic renewals; other tabs learn of the result.
   */
  async refresh(): Promise<TokenSet> {
    const manager = await this.#tokens()
    try {
      return await manager.refresh()
    } catch (error) {
      throw unwrapInteraction(error)
    }
  }

  /**
   * `fetch` with the access token: `Authorization: Bearer …`, or a DPoP proof and
   * `Authorization: DPoP …` when the token is DPoP-bound (one retry on `use_dpop_nonce`).
   */
  async fetch(url: string | URL, init: ProtectedResourceInit = {}): Promise<Response> {
    const accessToken = await this.getAccessToken()
    const tokens = await this.getTokenSet()
    const core = await this.#protocol()
    // Another tab may have renewed in between: use the stored set when it holds this token.
    const tokenSet = tokens?.accessToken === accessToken ? tokens : accessToken
    return fetchProtectedResource(core, url, tokenSet, init)
  }

  /**
   * Signs out: clears the session in every tab first (so nothing is left behind if the provider
   * is down or the tab closes), then revokes the tokens (unless `revoke: false`; failures are
   * `error` events), then sends the browser to the provider's end_session endpoint with
   * `id_token_hint`, and `post_logout_redirect_uri` and `state` when there is a post-logout
   * target (unless `localOnly`, or the provider has no such endpoint). With `localOnly`, it
   * resolves even when the provider cannot be reached. When sessionStorage refuses the logout's
   * transaction (`STORE_ERROR`, an `error` event), it goes on without `state`: the return is
   * then a plain page load, not a callback.
   */
  async logout(options: LogoutOptions = {}): Promise<void> {
    const target = options.localOnly
      ? undefined
      : (options.returnTo ?? this.#options.postLogoutRedirectUri)
    if (target !== undefined) {
      const allowed = this.#options.allowedPostLogoutRedirectUris ?? [
        this.#options.postLogoutRedirectUri ?? '',
      ]
      checkPostLogoutTarget(target, allowed)
    }
    const manager = await this.#tokens()
    const before = await this.#readableTokenSet()
    this.#logouts++
    // What clear() deleted was read under the refresh lock: after a rotation that finished
    // meanwhile, it holds the refresh token that is still good.
    const tokens = (await manager.clear()) ?? before
    await this.#options.userinfo
      ?.forget(this.#options.store, this.#key)
      .catch((error) => this.#events.emit('error', asError(error)))
    this.#signedInHere = false
    this.#user = undefined
    this.#events.emit('logout', { source: 'this-tab' })
    const revoking = tokens !== undefined && options.revoke !== false
    if (options.localOnly && !revoking) return
    let core: ClientCore
    try {
      core = await this.#protocol()
    } catch (error) {
      if (!options.localOnly) throw error
      this.#events.emit('error', asError(error))
      return
    }
    if (revoking) await this.#revoke(core, tokens)
    if (options.localOnly || !core.metadata.end_session_endpoint) return
    // `state` comes back only with a post-logout redirect: without one, nothing to wait for.
    let state: string | undefined
    if (target !== undefined) {
      const pending = randomState()
      try {
        this.#transactions.save(pending, {
          transaction: null,
          mode: 'logout',
          returnTo: postLogoutPath(target, this.#navigator.origin()),
          createdAt: this.#clock.now(),
        })
        state = pending
      } catch (error) {
        // Storage refused (blocked, full): the provider still ends its session, and sends the
        // browser back without `state`, to a page load that is no callback.
        this.#events.emit('error', asError(error))
      }
    }
    const url = endSessionUrl(core, {
      idTokenHint: tokens?.idToken,
      postLogoutRedirectUri: target,
      state,
    })
    this.#navigator.assign(url.toString())
  }

  /**
   * Subscribes to `login`, `logout`, `refreshed`, `expired` or `error`; returns the
   * unsubscribe function. `login`, `logout` and `refreshed` also fire for other tabs' changes.
   */
  on<K extends keyof SpaEvents>(event: K, listener: (payload: SpaEvents[K]) => void): () => void {
    // Start listening to other tabs now, not at the first token request.
    void this.#tokens().catch((error) => this.#events.emit('error', asError(error)))
    return this.#events.on(event, listener)
  }

  /**
   * Stops timers and cross-tab listening (e.g. when a test or a micro-frontend unmounts). A
   * popup login or silent renewal still waiting rejects with `ABORTED`, and its popup or
   * iframe is closed.
   */
  close(): void {
    this.#closing.abort(new AbortError('The SpaClient was closed'))
    void this.#manager?.then(
      (manager) => manager.close(),
      () => {},
    )
    this.#sync?.close()
  }

  // ---------------------------------------------------------------- internals

  /** The current page as the default `returnTo`; the app's root when it is not an allowed one. */
  #currentReturnTo(): string {
    const current = new URL(stripAuthorizationResponse(this.#navigator.currentUrl()))
    try {
      return checkReturnTo(
        current.pathname + current.search + current.hash,
        this.#navigator.origin(),
        this.#options.allowedReturnTo,
      )
    } catch (error) {
      if (!isOpenRpError(error, 'REDIRECT_NOT_ALLOWED')) throw error
      return '/'
    }
  }

  /** A lone `state` is a callback only when it is a logout this app started. */
  readonly #pendingLogout = (state: string): boolean =>
    this.#transactions.isPending(state, 'logout')

  /** Builds the authorization request of a redirect or popup login and keeps its transaction. */
  async #startLogin(
    options: LoginOptions,
    redirectUri: string,
    mode: 'redirect' | 'popup',
    returnTo?: string,
  ) {
    const core = await this.#protocol()
    const { url, transaction } = await createAuthorizationRequest(core, {
      responseType: options.responseType ?? this.#options.responseType ?? 'code',
      scope: options.scope ?? this.#options.scope ?? DEFAULT_SCOPE,
      prompt: options.prompt,
      maxAge: options.maxAge,
      loginHint: options.loginHint,
      extraParams: options.extraParams,
      redirectUri,
    })
    this.#transactions.save(transaction.state, {
      transaction,
      mode,
      returnTo,
      createdAt: this.#clock.now(),
    })
    return { core, url, transaction }
  }

  #protocol(): Promise<ClientCore> {
    this.#core ??= this.#createCore().catch((error) => {
      this.#core = undefined
      throw error
    })
    return this.#core
  }

  async #createCore(): Promise<ClientCore> {
    const o = this.#options
    const clientOptions = {
      clientId: o.clientId,
      redirectUri: o.redirectUri,
      postLogoutRedirectUri: o.postLogoutRedirectUri,
      scope: o.scope ?? DEFAULT_SCOPE,
      clockToleranceSec: o.clockToleranceSec,
      timeoutMs: o.timeoutMs,
      clock: this.#clock,
      fetch: o.fetch,
    }
    const metadata = o.metadata ?? (await discoverMetadata(o.issuer!, clientOptions))
    const publicCore = createPublicClientCore(metadata, clientOptions)
    const core = o.hybridAndImplicit ? o.hybridAndImplicit(publicCore) : publicCore
    // The key pair keeps the name it had before sessions were kept per issuer: the tokens of a
    // session kept then (and moved since) are bound to it.
    return o.dpop ? o.dpop.attach(core, o.storageKey ?? legacyKey(o.clientId), o.lock) : core
  }

  #tokens(): Promise<TokenManager> {
    this.#manager ??= this.#createManager().catch((error) => {
      this.#manager = undefined
      throw error
    })
    return this.#manager
  }

  async #createManager(): Promise<TokenManager> {
    const sync = new TabSync(`openrp:${this.#key}`)
    this.#sync = sync
    // One renewal strategy, chosen by TokenManager: the refresh token grant when the set has a
    // refresh token, else (unless turned off) a silent `prompt=none` request.
    const manager = new TokenManager({
      client: {
        refresh: async (current, options) =>
          refresh(await this.#protocol(), current, { timeoutMs: options?.timeoutMs }),
      },
      renew: this.#options.silent === false ? undefined : () => this.#silentRequest(),
      store: this.#options.store,
      storageKey: this.#key,
      lock: this.#options.lock,
      // TokenManager's default skew is ours: 60.
      refreshSkewSec: this.#options.refreshSkewSec ?? this.#options.skewSec,
      autoRefresh: this.#options.autoRefresh ?? this.#options.proactiveRefresh ?? true,
      visibility: pageVisibility(),
      // With a store per tab, each tab's session is its own (a copied tab drops the refresh
      // token it copied): another tab's expiry says nothing about this one. Its logout still
      // ends this one too.
      notifier:
        this.#options.storeScope === 'tab'
          ? {
              publish: (message) => sync.publish(message),
              subscribe: (listener) =>
                sync.subscribe((message) => {
                  if (message.type !== 'expired') listener(message)
                }),
            }
          : sync,
      clock: this.#clock,
    })
    // Listening before the first read: another tab's news may arrive while it runs, and then
    // says more than what that read found.
    let heard = false
    manager.on('refreshed', (tokenSet, { source }) => {
      if (source === 'here') {
        this.#events.emit('refreshed', { tokenSet, source: 'this-tab' })
        return
      }
      heard = true
      const sub = tokenSet.claims()?.sub
      const sameUser = this.#signedInHere && (sub === undefined || sub === this.#user)
      this.#signedInHere = true
      if (sub !== undefined) this.#user = sub
      this.#events.emit(sameUser ? 'refreshed' : 'login', { tokenSet, source: 'other-tab' })
    })
    manager.on('expired', (error, { source }) => {
      heard = true
      this.#signedInHere = false
      if (source === 'elsewhere') this.#forgetTabCopy()
      this.#events.emit('expired', {
        error: asError(unwrapInteraction(error)),
        source: source === 'here' ? 'this-tab' : 'other-tab',
      })
    })
    manager.on('logout', () => {
      // Another tab logged out (this tab's own logout() emits its event itself).
      heard = true
      this.#logouts++
      this.#signedInHere = false
      this.#user = undefined
      this.#forgetTabCopy()
      this.#events.emit('logout', { source: 'other-tab' })
    })
    manager.on('error', (error) => this.#events.emit('error', asError(error)))
    await this.#adoptLegacySession().catch((error) => this.#events.emit('error', asError(error)))
    const stored = await manager.getTokenSet().catch(() => undefined)
    if (!heard) {
      this.#signedInHere = stored !== undefined
      this.#user = stored?.claims()?.sub
    }
    // Closed meanwhile (or before first use): the manager and the channel made here too.
    if (this.#closing.signal.aborted) this.close()
    return manager
  }

  /**
   * Moves a session kept by an earlier version under `openrp:<clientId>` (one key for every
   * issuer) to this issuer's key, with its userinfo claims, when its ID token is this issuer's.
   * Another issuer's (or one without an ID token to tell) stays where it was, unused; an older
   * one of this issuer's, when a newer is stored here, is deleted. Under that session's refresh
   * lock, where a tab of the earlier version renews it. A failure leaves it for the next start.
   */
  async #adoptLegacySession(): Promise<void> {
    const { store, lock, clientId } = this.#options
    const legacy = legacyKey(clientId)
    if (this.#options.storageKey !== undefined || (await store.get(legacy)) === undefined) return
    await lock.withLock(`${legacy}:refresh`, async () => {
      const json = await store.get<TokenSetJSON>(legacy)
      const iss = json === undefined ? undefined : TokenSet.fromJSON(json).claims()?.iss
      if (iss === undefined || issuerId(iss) !== this.#issuer) return
      const moving = (await store.get(this.#key)) === undefined
      // The session last, on both sides: a failure before leaves it to be moved again.
      for (const suffix of [':userinfo', '']) {
        const value = await store.get(legacy + suffix)
        if (moving && value !== undefined) await store.set(this.#key + suffix, value)
      }
      await store.delete(`${legacy}:userinfo`)
      await store.delete(legacy)
    })
  }

  /** A store of this tab's own still holds the session another tab ended: delete it too. */
  #forgetTabCopy(): void {
    if (this.#options.storeScope !== 'tab') return
    for (const done of [
      this.#options.store.delete(this.#key),
      this.#options.userinfo?.forget(this.#options.store, this.#key),
    ])
      done?.catch((error) => this.#events.emit('error', asError(error)))
  }

  /** The stored set; an unreadable one (STORE_ERROR) is reported and counts as none. */
  async #readableTokenSet(): Promise<TokenSet | undefined> {
    try {
      return await this.getTokenSet()
    } catch (error) {
      if (!isOpenRpError(error, 'STORE_ERROR')) throw error
      this.#events.emit('error', error)
      return undefined
    }
  }

  /**
   * Exchanges the code of a login's response and signs in. A sent exchange is never abandoned:
   * its caller waits the client's `timeoutMs` (then `TIMEOUT`), the exchange itself up to
   * {@link ANSWER_TIMEOUT_MS}, and a late answer still signs in (a `login` event; a late
   * failure is an `error` event).
   */
  #completeLogin(core: ClientCore, url: string, transaction: AuthTransaction): Promise<TokenSet> {
    const login = handleAuthorizationResponse(core, url, transaction, {
      timeoutMs: ANSWER_TIMEOUT_MS,
    }).then(async (tokenSet) => {
      await this.#signedIn(tokenSet)
      return tokenSet
    })
    const waitMs = core.options.timeoutMs
    return new Promise((resolve, reject) => {
      let waiting = true
      const timer = this.#clock.setTimeout(() => {
        waiting = false
        reject(new TimeoutError(waitMs, 'The login'))
      }, waitMs)
      login.then(
        (tokenSet) => {
          this.#clock.clearTimeout(timer)
          resolve(tokenSet)
        },
        (error: unknown) => {
          this.#clock.clearTimeout(timer)
          if (waiting) reject(error)
          else this.#events.emit('error', asError(error))
        },
      )
    })
  }

  /**
   * Stores a login's tokens. The code is spent, so they cannot be had again: a store that fails
   * (`STORE_ERROR`: an IndexedDB transaction aborted, a connection lost) is tried again, with
   * backoff on the client's clock, {@link STORE_ATTEMPTS} times in all. A logout meanwhile (here
   * or in another tab) wins, as does close() (after which no other tab's logout is heard): the
   * tokens are revoked instead, and the login fails with `LOGIN_REQUIRED` (`ABORTED`).
   */
  async #keep(manager: TokenManager, tokenSet: TokenSet): Promise<void> {
    const logouts = this.#logouts
    for (let attempt = 1; ; attempt++) {
      try {
        return await manager.setTokenSet(tokenSet)
      } catch (error) {
        if (attempt === STORE_ATTEMPTS || !isOpenRpError(error, 'STORE_ERROR')) throw error
      }
      await sleep(this.#clock, 250 * 2 ** (attempt - 1))
      const { signal } = this.#closing
      if (signal.aborted || this.#logouts !== logouts) {
        await this.#revoke(await this.#protocol(), tokenSet)
        throw signal.aborted
          ? signal.reason
          : new OpenRpError('LOGIN_REQUIRED', 'A logout came before the login could be stored')
      }
    }
  }

  /**
   * Revokes the refresh and access tokens of `tokens` if the provider has a revocation endpoint;
   * failures are `error` events.
   */
  async #revoke(core: ClientCore, tokens: TokenSet): Promise<void> {
    if (!core.metadata.revocation_endpoint) return
    const revocations = [
      [tokens.refreshToken, 'refresh_token'],
      [tokens.accessToken, 'access_token'],
    ] as const
    await Promise.all(
      revocations.map(([token, hint]) =>
        token
          ? revoke(core, token, { tokenTypeHint: hint }).catch((error) =>
              this.#events.emit('error', asError(error)),
            )
          : undefined,
      ),
    )
  }

  async #signedIn(tokenSet: TokenSet): Promise<void> {
    const manager = await this.#tokens()
    // Before the session is stored: other tabs render the login with the claims already kept.
    const kept = this.#options.userinfo
    if (kept) {
      // A login fetches the claims again; a failure is an `error` event, not a failed login.
      const { store } = this.#options
      await kept
        .forget(store, this.#key)
        .then(async () => kept.fetch(await this.#protocol(), tokenSet, store, this.#key))
        .catch((error) => this.#events.emit('error', asError(error)))
    }
    await this.#keep(manager, tokenSet)
    this.#signedInHere = true
    this.#user = tokenSet.claims()?.sub
    this.#events.emit('login', { tokenSet, source: 'this-tab' })
  }

  /** TokenManager's `renew` (none with `silent: false`): a `prompt=none` login in an iframe. */
  async #silentRequest(): Promise<TokenSet> {
    const core = await this.#protocol()
    const { url, transaction } = await createAuthorizationRequest(core, {
      responseType: 'code',
      scope: this.#options.scope ?? DEFAULT_SCOPE,
      prompt: 'none',
      redirectUri: this.#silentRedirectUri,
    })
    // The transaction never leaves memory: the iframe answers this very page.
    const responseUrl = await runSilentRequest(
      this.#navigator,
      url.toString(),
      this.#options.silent || undefined,
      this.#clock,
      this.#closing.signal,
    )
    // Under TokenManager's renewal, whose callers wait only `timeoutMs`: a sent exchange is kept.
    // TokenManager checks that the answer is about the same user.
    return handleAuthorizationResponse(core, responseUrl, transaction, {
      timeoutMs: ANSWER_TIMEOUT_MS,
    })
  }
}

/**
 * The store key of the session of `options` (an SpaClient's, a DeviceLogin's): `storageKey`,
 * else per issuer, `openrp:<clientId>@<issuer>`: a multi-tenant app has one clientId and an
 * issuer per tenant.
 */
export function sessionKey(
  options: Pick<SpaClientOptions, 'clientId' | 'issuer' | 'metadata' | 'storageKey'>,
): string {
  const issuer = issuerId(options.metadata?.issuer ?? options.issuer)
  return options.storageKey ?? `${legacyKey(options.clientId)}@${issuer}`
}

/** The store key of sessions before they were kept per issuer (and the DPoP key's name). */
function legacyKey(clientId: string): string {
  return `openrp:${clientId}`
}

/** `issuer` as discovery compares it (`https://op` and `https://op/` are one). */
function issuerId(issuer: string | URL | undefined): string {
  try {
    return new URL(issuer!).href
  } catch {
    return String(issuer)
  }
}

/** `page` next to the redirect URI, e.g. `https://app/popup-callback.html`. */
function sibling(page: string, options: SpaClientInit): string {
  try {
    return new URL(page, options.redirectUri).toString()
  } catch {
    throw new InvalidArgumentError('options.redirectUri must be an absolute URL')
  }
}

/**
 * The app path of the page the provider sends the browser back to after logout (the callback's
 * `returnTo`): `/` when that page is not on this origin.
 */
function postLogoutPath(target: string, origin: string): string {
  try {
    return checkReturnTo(target, origin, undefined)
  } catch {
    return '/'
  }
}

/** TokenManager reports a `login_required` silent renewal as SESSION_EXPIRED; surface its cause. */
function unwrapInteraction(error: unknown): unknown {
  if (isOpenRpError(error, 'SESSION_EXPIRED') && error.cause instanceof InteractionRequiredError)
    return error.cause
  return error
}

function asError(error: unknown): OpenRpError {
  if (error instanceof OpenRpError) return error
  return new OpenRpError('OAUTH_ERROR', error instanceof Error ? error.message : String(error), {
    cause: error,
  })
}

/** 24 random bytes as base64url (32 characters: a multiple of 3 bytes needs no padding). */
function randomState(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24))
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
}
