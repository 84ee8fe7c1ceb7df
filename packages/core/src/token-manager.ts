/**
 * Keeps one session's tokens in a {@link Store} and hands out valid access tokens, refreshing
 * once whatever the number of callers, tabs or processes.
 *
 * @module
 */
import { type Clock, systemClock } from './clock.ts'
import {
  InvalidArgumentError,
  OAuthError,
  OpenRpError,
  ValidationError,
  StoreError,
  isOpenRpError,
} from './errors.ts'
import { Emitter, type Unsubscribe } from './internal/events.ts'
import { nonNegative } from './internal/number-options.ts'
import {
  type BackoffPolicy,
  RefreshCoordinator,
  type RefreshOutcome,
  type RefreshTask,
} from './refresh-coordinator.ts'
import { rotatedRefreshToken } from './rotated-refresh-token.ts'
import type { Lock, Store, StoreGetOptions } from './store.ts'
import { TokenSet, type TokenSetJSON } from './token-set.ts'

/**
 * How long a request that spends a one-time grant waits for its answer once sent (5 minutes):
 * a refresh with a refresh token the provider rotates (TokenManager's `answerTimeoutMs`
 * default), a code exchange (SpaClient's, `loopbackLogin`'s). Its caller waits only
 * `timeoutMs`; the answer, however late, holds the only tokens there will be, so it is awaited
 * and kept.
 *
 * @example
 * ```ts
 * ANSWER_TIMEOUT_MS // 300_000
 * ```
 */
export const ANSWER_TIMEOUT_MS = 300_000

/** What TokenManager needs from a client: `Client` satisfies it. */
export interface RefreshingClient {
  /**
   * Renews `refreshTokenOrSet`. `options.timeoutMs` is how long a sent request may wait for its
   * answer: TokenManager gives it far more than its callers wait (see `answerTimeoutMs`).
   */
  refresh(refreshTokenOrSet: string | TokenSet, options?: { timeoutMs?: number }): Promise<TokenSet>
  /** A `Client` has this: its clock and timeout are the manager's defaults. */
  readonly core?: { readonly options?: { readonly clock?: Clock; readonly timeoutMs?: number } }
}

/**
 * Whether the app is visible, so a proactive refresh can wait while it is not (the browser layer
 * plugs `document.visibilityState` in here).
 */
export interface VisibilityHook {
  /** Whether the app is visible now. */
  isVisible(): boolean
  /** Calls `listener` on every change; returns an unsubscribe function. */
  onChange(listener: (visible: boolean) => void): Unsubscribe
}

/**
 * What contexts (tabs, processes) sharing one session's store tell each other. Tokens never
 * travel in it: receivers re-read the store.
 */
export interface TokenChangeMessage {
  /**
   * `login`: a new session was stored; `refreshed`: its tokens were renewed; `logout`: it was
   * ended by the app; `expired`: the provider ended it (or nothing could renew it).
   */
  type: 'login' | 'refreshed' | 'logout' | 'expired'
}

/**
 * Carries {@link TokenChangeMessage}s of one session between contexts that share its store,
 * e.g. a BroadcastChannel between tabs (`TabSync` in @openrp/browser).
 */
export interface TokenChangeNotifier {
  /** Tells the other contexts of a change. */
  publish(message: TokenChangeMessage): void
  /** Calls `listener` on every change another context publishes; returns an unsubscribe function. */
  subscribe(listener: (message: TokenChangeMessage) => void): Unsubscribe
}

/** Options of {@link TokenManager}. */
export interface TokenManagerOptions {
  /** Anything with `refresh(tokenSet)`, normally a `Client`. */
  client: RefreshingClient
  /** Where the token set lives (as `TokenSet.toJSON()`). */
  store: Store
  /** Store key of this session's token set (also names its lock, failure record and end marker). */
  storageKey?: string
  /** @deprecated Use `storageKey` (same meaning); kept for one release. */
  key?: string
  /**
   * Makes refreshes exclusive across whatever shares `store` (WebLocksLock across tabs,
   * RedisLock across a fleet). Without it, refreshes are single-flight in this realm only.
   */
  lock?: Lock
  /** Refresh when the access token has less than this many seconds left (default 60). */
  refreshSkewSec?: number
  /** @deprecated Use `refreshSkewSec` (same meaning); kept for one release. */
  skewSec?: number
  /**
   * Up to this many seconds (random, default 5) are added to `refreshSkewSec`, re-drawn after
   * every refresh, so many holders of similar tokens do not all refresh in the same second.
   */
  jitterSec?: number
  /** Wait for `lock` at most this long (default 30000 ms); then LOCK_TIMEOUT. */
  lockTimeoutMs?: number
  /**
   * How long a caller waits for a refresh (default: the client's `timeoutMs`, else 30000 ms);
   * then it gets `TIMEOUT`. The refresh itself goes on (see `answerTimeoutMs`).
   */
  timeoutMs?: number
  /**
   * How long a refresh request, once sent, waits for its answer (default
   * {@link ANSWER_TIMEOUT_MS}, 300000 ms). The provider may have rotated the refresh token
   * already: the answer, however late, is then the only valid set, so it is awaited under the
   * lock and stored.
   */
  answerTimeoutMs?: number
  /**
   * Renews a set that has no refresh token (e.g. a silent `prompt=none` request in an iframe).
   * Without it, such a set ends the session when it expires. An answer about another user (its
   * ID token's `sub` differs) ends the session too: `SESSION_EXPIRED`, caused by
   * `ID_TOKEN_SUB_MISMATCH`.
   */
  renew?: (current: TokenSet) => Promise<TokenSet>
  /** Refresh ahead of expiry on a timer, not only when asked (default false). */
  autoRefresh?: boolean
  /** @deprecated Use `autoRefresh` (same meaning); kept for one release. */
  proactiveRefresh?: boolean
  /** While it says "hidden", proactive refreshes wait until it is visible again. */
  visibility?: VisibilityHook
  /** Tells other contexts about new tokens, logout and expiry, and hears theirs. */
  notifier?: TokenChangeNotifier
  /** Time (default: the client's `clock`, else the system clock). */
  clock?: Clock
  /** Randomness for jitter, in [0, 1) (default `Math.random`). */
  random?: () => number
  /** Pauses after failed refreshes, shared by the fleet through the store. */
  backoff?: BackoffPolicy
}

/**
 * Where an event of a {@link TokenManager} came from: the second argument of its listeners.
 *
 * @example
 * ```ts
 * manager.on('expired', (error, { source }) => {
 *   if (source === 'elsewhere') console.info('the session ended in another tab or process')
 *   showLogin()
 * })
 * ```
 */
export interface TokenEventInfo {
  /**
   * `here`: this manager did it (its refresh, its setTokenSet); `elsewhere`: another tab or
   * process did, learnt through the notifier or the store.
   */
  source: 'here' | 'elsewhere'
  /** For `refreshed`: whether the set is a new session's (`login`) or renewed tokens. */
  change?: 'login' | 'refreshed'
}

/** Events of a {@link TokenManager} and their payloads. */
export interface TokenManagerEvents {
  /** A new token set is in effect (refreshed here, or stored by another context). */
  refreshed: TokenSet
  /**
   * The session ended (refresh token rejected, expired with no way to renew, or gone from the
   * store); emitted once per session in every context that had it. The payload is the
   * `SESSION_EXPIRED` error; its `cause` is what the provider answered.
   */
  expired: OpenRpError
  /** Another context ended the session with `clear()` (a logout). */
  logout: undefined
  /**
   * A refresh failed for another reason (5xx, network, store), or the notifier could not tell
   * the other contexts about one that succeeded; stored tokens are kept.
   */
  error: unknown
}

/**
 * The lifecycle of a session as one manager sees it. Refreshing and backing off are the
 * coordinator's business, inside `active`. See docs/token-manager.md for the table.
 *
 * @example
 * ```ts
 * if (manager.phase === 'expired') showLogin()
 * ```
 */
export type TokenManagerPhase = 'signedOut' | 'active' | 'expired' | 'closed'

/** What moves a manager from one phase to another. */
type Happening =
  /** A token set was stored or read. */
  | 'found'
  /** The session was ended: the provider refused it here, or the end marker was seen. */
  | 'ended'
  /** The session was cleared (logout), here or elsewhere. */
  | 'cleared'
  /** The store no longer holds the session, with no marker saying why (e.g. Redis flushed). */
  | 'vanished'
  | 'closed'

/**
 * The state machine, in one table (docs/token-manager.md shows it too). A happening missing
 * from a row changes nothing. `expired` is emitted on every move into `expired`.
 */
const LIFECYCLE: Readonly<
  Record<TokenManagerPhase, Partial<Record<Happening, TokenManagerPhase>>>
> = {
  signedOut: { found: 'active', closed: 'closed' },
  active: {
    found: 'active',
    ended: 'expired',
    cleared: 'signedOut',
    vanished: 'expired',
    closed: 'closed',
  },
  expired: { found: 'active', cleared: 'signedOut', closed: 'closed' },
  closed: {},
}

/** After a failed proactive refresh, try again this much later. */
const PROACTIVE_RETRY_MS = 30_000
/** The proactive timer never re-arms sooner than this after it ran. */
const MIN_REARM_MS = 1_000
const MAX_TIMER_MS = 2 ** 31 - 1
/** How long the end-of-session marker stays in the store. */
const MARKER_TTL_SEC = 7 * 86_400

/** The marker kept next to an ended session: why it ended. */
interface EndMarker {
  reason: 'expired' | 'logout'
  atMs: number
}

/**
 * Hands out a valid access token for one session and refreshes it exactly once when it nears
 * expiry, whatever the number of concurrent callers, tabs or processes. A small state machine
 * (`signedOut` → `active` → `expired`, see docs/token-manager.md) on the
 * {@link RefreshCoordinator}.
 *
 * - `getAccessToken()` is the hot path: one store read, no network, while the token has more
 *   than `refreshSkewSec` (+ jitter) left.
 * - Concurrent callers share one refresh; with a `lock`, contexts sharing the store take turns,
 *   and each re-reads the store after acquiring it, so only the first refreshes.
 * - The rotated token set is written before the lock is released; a store that fails then is
 *   retried while the lock is held, and callers here get the new set meanwhile.
 * - A refresh once sent is never abandoned: a caller's wait ends after `timeoutMs`, the request
 *   goes on (up to `answerTimeoutMs`) and its answer is stored.
 * - A 200 that fails its checks but carries a new refresh token: that refresh token is stored
 *   (nothing else of the answer is used) and the error reported.
 * - After a failed refresh (5xx, network, 429...) the session backs off (exponential, jitter,
 *   `Retry-After` up to an hour), shared through the store: callers get the stored token while
 *   it is valid, else the remembered error, without a request.
 * - `invalid_grant`: if the store meanwhile holds a set with another refresh token (a sibling
 *   rotated it), that set is used. Otherwise the session is deleted, an end marker is stored
 *   next to it, and `expired` is emitted once here and in every context that sees the marker
 *   or the message; `getAccessToken()` rejects with `SESSION_EXPIRED` until `setTokenSet()`.
 * - If the lock's lease is lost before the request is sent, it is not sent: the manager takes
 *   the lock again and re-reads the store once; lost a second time, it rejects with
 *   `LOCK_LOST`.
 *
 * @example
 * ```ts
 * const tokens = new TokenManager({ client, store: new MemoryStore(), storageKey: 'session' })
 * await tokens.setTokenSet(await client.handleAuthorizationResponse(url, transaction))
 * tokens.on('expired', () => showLogin())
 * const response = await fetch(api, {
 *   headers: { authorization: `Bearer ${await tokens.getAccessToken()}` },
 * })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token rotation)
 */
export class TokenManager {
  /** The store key of the session. */
  readonly key: string
  readonly #client: RefreshingClient
  readonly #store: Store
  readonly #lock: Lock | undefined
  readonly #clock: Clock
  readonly #random: () => number
  readonly #skewSec: number
  readonly #jitterSec: number
  readonly #lockTimeoutMs: number
  readonly #answerTimeoutMs: number
  readonly #renew: TokenManagerOptions['renew']
  readonly #autoRefresh: boolean
  readonly #visibility: VisibilityHook | undefined
  readonly #notifier: TokenChangeNotifier | undefined
  readonly #coordinator: RefreshCoordinator
  readonly #events = new Emitter<TokenManagerEvents, TokenEventInfo>()
  readonly #unsubscribe: Unsubscribe[] = []
  readonly #parsed = new FrozenParseCache()
  /** Errors already emitted as `error`: a flight's error reaches each of its callers. */
  readonly #reported = new WeakSet<object>()

  #phase: TokenManagerPhase = 'signedOut'
  #jitter = 0
  /** The proactive timer, or `'hidden'` while it waits for the page to be visible. */
  #timer: unknown
  /** When the proactive timer last ran (clock ms). */
  #ranAtMs = Number.NEGATIVE_INFINITY

  constructor(options: TokenManagerOptions) {
    if (!options?.client || typeof options.client.refresh !== 'function') {
      throw new InvalidArgumentError('TokenManager needs a client with refresh()')
    }
    if (!options.store) throw new InvalidArgumentError('TokenManager needs a store')
    const key = options.storageKey ?? options.key
    if (typeof key !== 'string' || key === '') {
      throw new InvalidArgumentError('TokenManager needs a non-empty storageKey')
    }
    const clientOptions = options.client.core?.options
    this.key = key
    this.#client = options.client
    this.#store = options.store
    this.#lock = options.lock
    this.#clock = options.clock ?? clientOptions?.clock ?? systemClock
    this.#random = options.random ?? Math.random
    this.#skewSec = nonNegative(options.refreshSkewSec ?? options.skewSec, 'refreshSkewSec', 60)
    this.#jitterSec = nonNegative(options.jitterSec, 'jitterSec', 5)
    this.#lockTimeoutMs = nonNegative(options.lockTimeoutMs, 'lockTimeoutMs', 30_000)
    this.#answerTimeoutMs = nonNegative(
      options.answerTimeoutMs,
      'answerTimeoutMs',
      ANSWER_TIMEOUT_MS,
    )
    this.#renew = options.renew
    this.#autoRefresh = options.autoRefresh ?? options.proactiveRefresh ?? false
    this.#visibility = options.visibility
    this.#notifier = options.notifier
    this.#coordinator = new RefreshCoordinator({
      store: this.#store,
      lock: this.#lock,
      clock: this.#clock,
      random: this.#random,
      lockTimeoutMs: this.#lockTimeoutMs,
      waitTimeoutMs: nonNegative(
        options.timeoutMs ?? clientOptions?.timeoutMs,
        'timeoutMs',
        30_000,
      ),
      backoff: options.backoff,
    })
    this.#rollJitter()

    if (this.#notifier) {
      this.#unsubscribe.push(this.#notifier.subscribe((message) => this.#onRemote(message)))
    }
    if (this.#autoRefresh) {
      if (this.#visibility) {
        this.#unsubscribe.push(
          this.#visibility.onChange((visible) => {
            if (visible && this.#timer === 'hidden') this.#onTimer()
          }),
        )
      }
      this.#read().then(
        (current) => {
          // Unless something stored or cleared meanwhile armed or stopped the timer.
          if (current && this.#phase === 'signedOut') this.#move('found', current)
        },
        () => {},
      )
    }
  }

  /** Where the manager is in its lifecycle (see docs/token-manager.md). */
  get phase(): TokenManagerPhase {
    return this.#phase
  }

  /**
   * A valid access token: the stored one while it has more than `refreshSkewSec` left, else a
   * fresh one (one refresh for all concurrent callers).
   *
   * Rejects with `LOGIN_REQUIRED` when no session is stored, `SESSION_EXPIRED` after the session
   * ended, or the refresh's error (`NETWORK_ERROR`, `OAUTH_ERROR`, `TIMEOUT`, `STORE_ERROR`,
   * `LOCK_TIMEOUT`...).
   */
  async getAccessToken(): Promise<string> {
    // The hot path: one store read, nothing else.
    const json = await this.#store.get(this.key)
    const current = json === undefined ? undefined : this.#parse(json)
    if (current && !this.#needsRefresh(current)) {
      if (this.#phase !== 'active') this.#move('found', current)
      return current.accessToken
    }
    return (await this.#validFrom(current)).accessToken
  }

  /**
   * The stored token set as it is (no refresh), or `undefined`. Read-only like every TokenSet,
   * and frozen when the store hands out frozen values (MemoryStore): then callers share it.
   */
  async getTokenSet(): Promise<TokenSet | undefined> {
    const set = await this.#read()
    if (set && this.#phase !== 'active' && this.#phase !== 'closed') this.#move('found', set)
    return set
  }

  /**
   * Renews the tokens now, whatever their remaining life ("refresh now"). Shares the work with
   * concurrent callers; a set another context stored after this call began is used as is.
   */
  async refresh(): Promise<TokenSet> {
    // Joins the refresh under way, waiting at most `timeoutMs` like every other caller.
    if (this.#coordinator.running(this.key)) return this.#refresh()
    const seen = await this.#read()
    if (!seen) throw await this.#noSession()
    if (this.#phase !== 'active') this.#move('found', seen)
    return this.#refresh(seen)
  }

  /**
   * Stores a new session's token set (after login) and starts over after an expiry. Waits for a
   * refresh another context is running (under the lock), so its result cannot overwrite this.
   */
  async setTokenSet(tokens: TokenSet | TokenSetJSON): Promise<void> {
    const set = TokenSet.fromJSON(tokens)
    await this.#exclusive(async () => {
      await this.#store.set(this.key, set.toJSON())
      await this.#store.delete(markerKey(this.key))
    })
    // A new session does not inherit the old one's backoff.
    await this.#coordinator.forget(this.key)
    this.#move('found', set)
    this.#notifier?.publish({ type: 'login' })
  }

  /**
   * Forgets the session (logout): deletes the stored set, leaves a `logout` marker for the
   * other contexts and stops the timer. Like {@link TokenManager.setTokenSet}, it waits for a
   * refresh running elsewhere; if the lock cannot be had in time it deletes anyway (a refresh
   * that ends later finds the set gone and does not write it back). Resolves with the set it
   * deleted, read under the lock: after a rotation that finished meanwhile, that is the set with
   * the new refresh token, the one to revoke. `undefined` when none was stored (or it could not
   * be read).
   */
  async clear(): Promise<TokenSet | undefined> {
    this.#move('cleared')
    let deleted: TokenSet | undefined
    await this.#exclusive(async () => {
      deleted = await this.#read({ fresh: true }).catch(() => undefined)
      await this.#store.delete(this.key)
      await this.#mark('logout')
    })
    this.#notifier?.publish({ type: 'logout' })
    return deleted
  }

  /**
   * Subscribes to `refreshed`, `expired`, `logout` or `error`; returns the unsubscribe
   * function. The listener's second argument says where the event came from. A listener that
   * throws does not disturb the manager.
   */
  on<K extends keyof TokenManagerEvents>(
    event: K,
    listener: (payload: TokenManagerEvents[K], info: TokenEventInfo) => void,
  ): Unsubscribe {
    return this.#events.on(event, listener)
  }

  /** Stops the proactive timer and notifier / visibility subscriptions. */
  close(): void {
    this.#move('closed')
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
  }

  // ---------------------------------------------------------------- the state machine

  /**
   * Takes the transition `happening` from the current phase (per {@link LIFECYCLE}) and runs
   * what entering the next phase does: arm or stop the timer, emit `expired`.
   */
  #move(happening: Happening, set?: TokenSet, ended?: { error: OpenRpError; here: boolean }) {
    const from = this.#phase
    const to = LIFECYCLE[from][happening]
    if (to === undefined) return
    this.#phase = to
    if (to === 'active') this.#schedule(set)
    else this.#cancelTimer()
    if (to === 'expired' && from !== 'expired') {
      const error = ended?.error ?? sessionExpired(undefined)
      this.#events.emit('expired', error, { source: ended?.here ? 'here' : 'elsewhere' })
      if (ended?.here) this.#notifier?.publish({ type: 'expired' })
    }
  }

  // ---------------------------------------------------------------- refreshing

  /** The valid set given what the store holds: `current`, or a refreshed one. */
  async #validFrom(current: TokenSet | undefined): Promise<TokenSet> {
    if (!current) throw await this.#noSession()
    if (this.#phase !== 'active') this.#move('found', current)
    if (!this.#needsRefresh(current)) return current
    return this.#refresh()
  }

  /** Runs the refresh task on the coordinator; `forcedFrom`: refresh even if still fresh. */
  async #refresh(forcedFrom?: TokenSet): Promise<TokenSet> {
    try {
      const set = await this.#coordinator.run(this.#task(forcedFrom))
      if (this.#phase !== 'active') this.#move('found', set)
      return set
    } catch (error) {
      // Request failures were reported when they happened; these are the frame's own (shared
      // by every caller of the flight, so reported once).
      if (
        isOpenRpError(error, 'STORE_ERROR') ||
        isOpenRpError(error, 'LOCK_TIMEOUT') ||
        isOpenRpError(error, 'LOCK_LOST') ||
        isOpenRpError(error, 'TIMEOUT')
      )
        this.#reportError(error)
      throw error
    }
  }

  /** What the coordinator does for this session. */
  #task(forcedFrom: TokenSet | undefined): RefreshTask<TokenSet> {
    return {
      key: this.key,
      lockName: `${this.key}:refresh`,
      decode: (json) => this.#parse(json),
      encode: (set) => ({ json: set.toJSON() }),
      settled: async (stored) => {
        if (!stored) throw await this.#noSession()
        const stale = forcedFrom ? !rotatedSince(forcedFrom, stored) : this.#needsRefresh(stored)
        if (!stale) return stored
        if (stored.refreshToken === undefined && !this.#renew) {
          if (!stored.isExpired(0, this.#nowSec())) return stored
          return this.#end(undefined)
        }
        return undefined
      },
      request: (stored) => this.#request(stored!),
      same: (a, b) => a === b || (a !== undefined && b !== undefined && sameTokens(a, b)),
      superseded: (latest) => {
        // setTokenSet() or clear() ran meanwhile, here or elsewhere: their result wins.
        if (!latest) throw new OpenRpError('LOGIN_REQUIRED', 'The session was cleared')
        return latest
      },
      usable: (set): set is TokenSet => set !== undefined && !set.isExpired(0, this.#nowSec()),
      fallBack: forcedFrom === undefined,
      onStoreRetry: (error) => this.#reportError(error),
      onFailure: (error) => this.#reportError(error),
      onRenewed: (set) => {
        this.#rollJitter()
        this.#move('found', set)
        this.#events.emit('refreshed', set, { source: 'here', change: 'refreshed' })
        // A notifier that throws (closed meanwhile) must not undo a refresh already stored.
        try {
          this.#notifier?.publish({ type: 'refreshed' })
        } catch (error) {
          this.#reportError(error)
        }
      },
    }
  }

  /** Sends the refresh (or `renew`) for `current`, under the lock. */
  async #request(current: TokenSet): Promise<RefreshOutcome<TokenSet>> {
    let next: TokenSet
    try {
      next =
        current.refreshToken !== undefined
          ? await this.#client.refresh(current, { timeoutMs: this.#answerTimeoutMs })
          : await this.#renewed(current)
    } catch (error) {
      // A renewal that answers for another user ends this one's session, like a refusal.
      const otherUser = !current.refreshToken && isOpenRpError(error, 'ID_TOKEN_SUB_MISMATCH')
      if (otherUser || endsSession(error)) {
        // A sibling without our lock may have rotated the token first: ours was then "reused".
        const sibling = await this.#read().catch(() => undefined)
        if (sibling && rotatedSince(current, sibling) && !sibling.isExpired(0, this.#nowSec()))
          return { stored: sibling }
        return this.#end(error)
      }
      // A 200 that failed its checks may have spent the refresh token: keep the new one.
      const kept = rotatedRefreshToken(error)
      if (kept === undefined) throw error
      return { value: new TokenSet({ ...current.toJSON(), refreshToken: kept }), error }
    }
    return { value: next }
  }

  /**
   * `renew`'s answer for `current`, which must be about the same user (`ID_TOKEN_SUB_MISMATCH`):
   * a silent renewal answers for whoever is signed in at the provider now.
   */
  async #renewed(current: TokenSet): Promise<TokenSet> {
    const next = await this.#renew!(current)
    const before = current.claims()?.sub
    const after = next.claims()?.sub
    if (before && after && before !== after)
      throw new ValidationError('ID_TOKEN_SUB_MISMATCH', 'The renewal returned another user')
    return next
  }

  /** Emits `error` once per error. */
  #reportError(error: unknown): void {
    if (typeof error === 'object' && error !== null) {
      if (this.#reported.has(error)) return
      this.#reported.add(error)
    }
    this.#events.emit('error', error, { source: 'here' })
  }

  /** Ends the session here: deletes it, leaves the `expired` marker, emits `expired`. */
  async #end(cause: unknown): Promise<never> {
    await this.#store.delete(this.key).catch(() => {})
    await this.#mark('expired').catch(() => {})
    const error = sessionExpired(cause)
    this.#move('ended', undefined, { error, here: true })
    throw error
  }

  async #mark(reason: EndMarker['reason']): Promise<void> {
    const marker: EndMarker = { reason, atMs: this.#clock.now() }
    await this.#store.set(markerKey(this.key), marker, { ttlSec: MARKER_TTL_SEC })
  }

  /**
   * The error for "nothing stored", after a look at the end marker: `SESSION_EXPIRED` when the
   * session was ended by the provider (then this context ends it too), else `LOGIN_REQUIRED`.
   */
  async #noSession(): Promise<OpenRpError> {
    const marker = (await this.#store.get<EndMarker>(markerKey(this.key)).catch(() => undefined))
      ?.reason
    if (marker === 'expired') {
      const error = sessionExpired(undefined)
      this.#move('ended', undefined, { error, here: false })
      return error
    }
    const error = new OpenRpError('LOGIN_REQUIRED', 'No token set is stored; log in first')
    if (marker === 'logout') this.#move('cleared')
    else this.#move('vanished', undefined, { error: sessionExpired(error), here: false })
    return error
  }

  /** The stored set; `fresh` past a store's local copy (under the lock, a copy can be stale). */
  async #read(options?: StoreGetOptions): Promise<TokenSet | undefined> {
    const json = await this.#store.get(this.key, options)
    return json === undefined ? undefined : this.#parse(json)
  }

  #parse(json: unknown): TokenSet {
    return this.#parsed.parse(json)
  }

  #nowSec(): number {
    return this.#clock.now() / 1000
  }

  /** Due for renewal; a set nothing can renew is used until it expires. */
  #needsRefresh(set: TokenSet): boolean {
    const now = this.#nowSec()
    if (set.refreshToken === undefined && this.#renew === undefined) return set.isExpired(0, now)
    return set.needsRenewal(this.#skewSec + this.#jitter, now)
  }

  #rollJitter(): void {
    this.#jitter = this.#random() * this.#jitterSec
  }

  /** Runs a store write under the refresh lock, or without it when the lock times out. */
  async #exclusive(write: () => Promise<void>): Promise<void> {
    if (!this.#lock) return write()
    try {
      await this.#lock.withLock(`${this.key}:refresh`, write, { timeoutMs: this.#lockTimeoutMs })
    } catch (error) {
      if (!isOpenRpError(error, 'LOCK_TIMEOUT')) throw error
      await write()
    }
  }

  #onRemote(message: TokenChangeMessage): void {
    if (this.#phase === 'closed') return
    if (message.type === 'logout') {
      this.#move('cleared')
      this.#events.emit('logout', undefined, { source: 'elsewhere' })
      return
    }
    if (message.type === 'expired') {
      this.#move('ended', undefined, { error: sessionExpired(undefined), here: false })
      return
    }
    this.#read().then(
      (set) => {
        if (!set || this.#phase === 'closed') return
        this.#move('found', set)
        this.#events.emit('refreshed', set, {
          source: 'elsewhere',
          change: message.type as 'login' | 'refreshed',
        })
      },
      () => {},
    )
  }

  // ---------------------------------------------------------------- proactive timer

  /**
   * Arms the proactive timer for `set`, at least {@link MIN_REARM_MS} after the timer last ran
   * (a renewal it made may bring a set that is already due, e.g. `expires_in: 0`).
   */
  #schedule(set: TokenSet | undefined): void {
    this.#cancelTimer()
    if (!this.#autoRefresh || !set || set.expiresAt === undefined) return
    // A set nothing can renew is only looked at again when it expires (to end the session).
    const renewable = set.refreshToken !== undefined || this.#renew !== undefined
    const skew = renewable ? set.renewalSkew(this.#skewSec + this.#jitter) : 0
    const now = this.#clock.now()
    this.#arm(Math.max((set.expiresAt - skew) * 1000 - now, this.#ranAtMs + MIN_REARM_MS - now))
  }

  #arm(delayMs: number): void {
    const timer = this.#clock.setTimeout(() => this.#onTimer(), Math.min(delayMs, MAX_TIMER_MS))
    // Node: a pending refresh must not keep the process alive.
    ;(timer as { unref?: () => void } | undefined)?.unref?.()
    this.#timer = timer
  }

  #onTimer(): void {
    this.#timer = undefined
    this.#ranAtMs = this.#clock.now()
    if (this.#phase !== 'active') return
    if (this.#visibility && !this.#visibility.isVisible()) {
      this.#timer = 'hidden'
      return
    }
    this.#read()
      .then((current) => this.#validFrom(current))
      .then(
        (set) => {
          // Still early (the timer fired before the skew window), or nothing changed: look
          // again when due, never in a tight loop.
          if (this.#timer === undefined && this.#phase === 'active') this.#schedule(set)
        },
        () => {
          if (this.#timer === undefined && this.#phase === 'active') this.#arm(PROACTIVE_RETRY_MS)
        },
      )
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined && this.#timer !== 'hidden') this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }
}

/**
 * Parses stored values into TokenSets, reusing the last one for the same frozen value: a store
 * that hands out frozen values (MemoryStore) gives the same object until the next write, which
 * then needs no parsing. Any other value is parsed, so a set someone else stored is never missed.
 */
class FrozenParseCache {
  #json: unknown
  #set: TokenSet | undefined

  parse(json: unknown): TokenSet {
    if (json === this.#json && this.#set !== undefined) return this.#set
    let set: TokenSet
    try {
      set = TokenSet.fromJSON(json)
    } catch (cause) {
      throw new StoreError('The stored token set is malformed', { cause })
    }
    // Only a frozen value cannot change behind our back between two reads that return it.
    if (Object.isFrozen(json)) {
      Object.freeze(set)
      this.#json = json
      this.#set = set
    }
    return set
  }
}

/** The store key of the marker left when a session ends. */
function markerKey(key: string): string {
  return `${key}:ended`
}

function sessionExpired(cause: unknown): OpenRpError {
  return new OpenRpError('SESSION_EXPIRED', 'The session has ended; log in again', { cause })
}

/** The provider will not renew this grant: the session is over. */
function endsSession(error: unknown): boolean {
  if (isOpenRpError(error, 'INVALID_GRANT') || isOpenRpError(error, 'INTERACTION_REQUIRED')) {
    return true
  }
  return error instanceof OAuthError && error.error === 'invalid_grant'
}

/** The same tokens (the set a refresh started from is still the one stored). */
function sameTokens(a: TokenSet, b: TokenSet): boolean {
  return a.accessToken === b.accessToken && a.refreshToken === b.refreshToken
}

function rotatedSince(used: TokenSet, stored: TokenSet): boolean {
  return used.refreshToken !== undefined
    ? stored.refreshToken !== used.refreshToken
    : stored.accessToken !== used.accessToken
}
