/**
 * Keeps one session's tokens in a {@link Store} and hands out valid access tokens, refreshing
 * once whatever the number of callers, tabs or processes.
 *
 * @module
 */
import {
  InvalidArgumentError,
  OAuthError,
  OpenRpError,
  StoreError,
  isOpenRpError,
} from './errors.ts'
import { Emitter, type Unsubscribe } from './internal/events.ts'
import { assertLeaseHeld, type Lock, type LockLease, type Store } from './store.ts'
import { TokenSet, type TokenSetJSON } from './token-set.ts'

/** What TokenManager needs from a client: `Client` satisfies it. */
export interface RefreshingClient {
  /** Redeems the refresh token (of the set) for a new token set. */
  refresh(refreshTokenOrSet: string | TokenSet): Promise<TokenSet>
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
  /** `login`: a new session was stored; `refreshed`: its tokens were renewed; `logout`: it ended. */
  type: 'login' | 'refreshed' | 'logout'
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
  /** Store key of this session's token set. */
  key: string
  /**
   * Makes refreshes exclusive across whatever shares `store` (WebLocksLock across tabs,
   * RedisLock across a fleet). Without it, refreshes are single-flight in this realm only.
   */
  lock?: Lock
  /** Refresh when the access token has less than this many seconds left (default 60). */
  skewSec?: number
  /**
   * Up to this many seconds (random, default 5) are added to `skewSec`, re-drawn after every
   * refresh, so many holders of similar tokens do not all refresh in the same second.
   */
  jitterSec?: number
  /** Wait for `lock` at most this long (default 30000 ms); then LOCK_TIMEOUT. */
  lockTimeoutMs?: number
  /**
   * Renews a set that has no refresh token (e.g. a silent `prompt=none` request in an iframe).
   * Without it, such a set ends the session when it expires.
   */
  renew?: (current: TokenSet) => Promise<TokenSet>
  /** Refresh ahead of expiry on a timer, not only when asked (default false). */
  proactiveRefresh?: boolean
  /** While it says "hidden", proactive refreshes wait until it is visible again. */
  visibility?: VisibilityHook
  /** Tells other contexts about new tokens, logout and expiry, and hears theirs. */
  notifier?: TokenChangeNotifier
}

/** Events of a {@link TokenManager} and their payloads. */
export interface TokenManagerEvents {
  /** A new token set is in effect (refreshed here, or stored by another context). */
  refreshed: TokenSet
  /**
   * The session ended (refresh token rejected, or expired with no way to renew); emitted once.
   * The payload is the `SESSION_EXPIRED` error; its `cause` is what the provider answered.
   */
  expired: OpenRpError
  /** A refresh failed for another reason (5xx, network, store); stored tokens are kept. */
  error: unknown
}

const MAX_TIMER_MS = 2 ** 31 - 1
/** After a failed proactive refresh, try again this much later. */
const PROACTIVE_RETRY_MS = 30_000
/** The proactive timer never re-arms sooner than this after it ran. */
const MIN_REARM_MS = 1_000

/**
 * Hands out a valid access token for one session and refreshes it exactly once when it nears
 * expiry, whatever the number of concurrent callers.
 *
 * - `getAccessToken()` is the hot path: one store read, no network, while the token has more
 *   than `skewSec` (+ jitter) left.
 * - Concurrent callers share one in-flight refresh; with a `lock`, contexts sharing the store
 *   take turns, and each re-reads the store after acquiring it, so only the first refreshes.
 * - The rotated token set is written before the lock is released.
 * - `invalid_grant`: if the store meanwhile holds a set with another refresh token (a sibling
 *   rotated it), that set is used. Otherwise the session is cleared, `expired` is emitted once,
 *   and `getAccessToken()` rejects with `SESSION_EXPIRED`, without network, until
 *   `setTokenSet()`.
 * - If the lock's lease is lost before the refresh request is sent (`lease.signal`, e.g. Redis
 *   restarted), the request is not sent: the manager takes the lock again and re-reads the
 *   store once (the context that got the lock has probably refreshed); lost a second time, it
 *   rejects with `LOCK_LOST` and writes nothing. A request already sent is never abandoned.
 * - Other failures (5xx, network, timeouts, store errors) emit `error` and reject; the stored
 *   tokens are kept so a later call can try again.
 *
 * @example
 * ```ts
 * const tokens = new TokenManager({ client, store: new MemoryStore(), key: 'session' })
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
  readonly key: string
  readonly #client: RefreshingClient
  readonly #store: Store
  readonly #lock: Lock | undefined
  readonly #skewSec: number
  readonly #jitterSec: number
  readonly #lockTimeoutMs: number
  readonly #renew: TokenManagerOptions['renew']
  readonly #proactive: boolean
  readonly #visibility: VisibilityHook | undefined
  readonly #notifier: TokenChangeNotifier | undefined
  readonly #events = new Emitter<TokenManagerEvents>()
  readonly #unsubscribe: Unsubscribe[] = []

  #jitter = 0
  /**
   * The frozen store value the last read parsed, and the set built from it: a store that hands
   * out frozen values (MemoryStore) gives the same object until the next write, which then
   * needs no parsing. Any other value is parsed, so a set someone else stored is never missed.
   */
  #readJson: unknown
  #readSet: TokenSet | undefined
  #inflight: Promise<TokenSet> | undefined
  /** `expired` was emitted for the current session. */
  #expired = false
  /** A refresh token the provider rejected: never sent again. */
  #deadRefreshToken: string | undefined
  /** Bumped by setTokenSet/clear, so a refresh that started before does not resurrect tokens. */
  #epoch = 0
  /**
   * A refreshed set the store refused to take, and the stored set it replaces: the provider has
   * rotated that set's refresh token, so it must never be sent again. Written at the next chance.
   */
  #unsaved: { replaces: TokenSet; set: TokenSet } | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #waitingForVisible = false
  #closed = false

  constructor(options: TokenManagerOptions) {
    if (!options?.client || typeof options.client.refresh !== 'function') {
      throw new InvalidArgumentError('TokenManager needs a client with refresh()')
    }
    if (!options.store) throw new InvalidArgumentError('TokenManager needs a store')
    if (typeof options.key !== 'string' || options.key === '') {
      throw new InvalidArgumentError('TokenManager needs a non-empty key')
    }
    this.key = options.key
    this.#client = options.client
    this.#store = options.store
    this.#lock = options.lock
    this.#skewSec = nonNegative(options.skewSec ?? 60, 'skewSec')
    this.#jitterSec = nonNegative(options.jitterSec ?? 5, 'jitterSec')
    this.#lockTimeoutMs = nonNegative(options.lockTimeoutMs ?? 30_000, 'lockTimeoutMs')
    this.#renew = options.renew
    this.#proactive = options.proactiveRefresh ?? false
    this.#visibility = options.visibility
    this.#notifier = options.notifier
    this.#rollJitter()

    if (this.#notifier) {
      this.#unsubscribe.push(this.#notifier.subscribe((message) => this.#onRemote(message)))
    }
    if (this.#proactive) {
      if (this.#visibility) {
        this.#unsubscribe.push(
          this.#visibility.onChange((visible) => {
            if (visible && this.#waitingForVisible) {
              this.#waitingForVisible = false
              this.#onTimer()
            }
          }),
        )
      }
      const epoch = this.#epoch
      this.#read().then(
        (current) => {
          // Unless setTokenSet() / clear() ran meanwhile (then this read is stale).
          if (current && epoch === this.#epoch && this.#timer === undefined) this.#schedule(current)
        },
        () => {},
      )
    }
  }

  /**
   * A valid access token: the stored one while it has more than `skewSec` left, else a fresh
   * one (one refresh for all concurrent callers).
   *
   * Rejects with `LOGIN_REQUIRED` when no session is stored, `SESSION_EXPIRED` after the session
   * ended, or the refresh's error (`NETWORK_ERROR`, `OAUTH_ERROR`, `STORE_ERROR`, `LOCK_TIMEOUT`...).
   */
  async getAccessToken(): Promise<string> {
    // The hot path, kept to one await and no allocation of its own: what #valid() does.
    if (this.#inflight) return (await this.#inflight).accessToken
    const json = await this.#store.get(this.key)
    const current = json === undefined ? undefined : this.#toTokenSet(json)
    if (current && !this.#needsRefresh(current)) return current.accessToken
    return (await this.#validFrom(current)).accessToken
  }

  /**
   * The stored token set as it is (no refresh), or `undefined`. Read-only like every TokenSet,
   * and frozen when the store hands out frozen values (MemoryStore): then callers share it.
   */
  getTokenSet(): Promise<TokenSet | undefined> {
    return this.#read()
  }

  /**
   * Renews the tokens now, whatever their remaining life ("refresh now"). Shares the work with
   * concurrent callers; a set another context stored after this call began is used as is.
   */
  async refresh(): Promise<TokenSet> {
    if (this.#inflight) return this.#inflight
    const seen = await this.#read()
    if (!seen) throw this.#noSession()
    return this.#startRefresh(seen)
  }

  /**
   * Stores a new session's token set (after login) and starts over after an expiry. Waits for a
   * refresh another context is running (under the lock), so its result cannot overwrite this.
   */
  async setTokenSet(tokens: TokenSet | TokenSetJSON): Promise<void> {
    const set = TokenSet.fromJSON(tokens)
    this.#epoch++
    this.#unsaved = undefined
    await this.#exclusive(() => this.#store.set(this.key, set.toJSON()))
    this.#expired = false
    this.#deadRefreshToken = undefined
    this.#schedule(set)
    this.#notifier?.publish({ type: 'login' })
  }

  /**
   * Forgets the session (logout): deletes the stored set and stops the timer. Like
   * {@link TokenManager.setTokenSet}, it waits for a refresh running elsewhere; if the lock
   * cannot be had in time it deletes anyway (a refresh that ends later finds the set gone and
   * does not write it back).
   */
  async clear(): Promise<void> {
    this.#epoch++
    this.#unsaved = undefined
    this.#cancelTimer()
    await this.#exclusive(() => this.#store.delete(this.key))
    this.#notifier?.publish({ type: 'logout' })
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

  /**
   * Subscribes to `refreshed`, `expired` or `error`; returns the unsubscribe function.
   * A listener that throws does not disturb the manager.
   */
  on<K extends keyof TokenManagerEvents>(
    event: K,
    listener: (payload: TokenManagerEvents[K]) => void,
  ): Unsubscribe {
    return this.#events.on(event, listener)
  }

  /** Stops the proactive timer and notifier / visibility subscriptions. */
  close(): void {
    this.#closed = true
    this.#cancelTimer()
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
  }

  async #valid(): Promise<TokenSet> {
    if (this.#inflight) return this.#inflight
    return this.#validFrom(await this.#read())
  }

  /** The valid set given what the store holds: `current`, or a refreshed one. */
  async #validFrom(current: TokenSet | undefined): Promise<TokenSet> {
    if (!current) throw this.#noSession()
    if (!this.#needsRefresh(current)) return current
    return this.#startRefresh()
  }

  /** One refresh at a time in this realm; `forcedFrom`: refresh even if still fresh. */
  #startRefresh(forcedFrom?: TokenSet): Promise<TokenSet> {
    this.#inflight ??= this.#refreshExclusive(forcedFrom).finally(() => {
      this.#inflight = undefined
    })
    return this.#inflight
  }

  async #refreshExclusive(forcedFrom: TokenSet | undefined): Promise<TokenSet> {
    const lock = this.#lock
    try {
      if (!lock) return await this.#refreshNow(forcedFrom, undefined)
      const name = `${this.key}:refresh`
      const run = (lease?: LockLease) => this.#refreshNow(forcedFrom, lease)
      const options = { timeoutMs: this.#lockTimeoutMs }
      try {
        return await lock.withLock(name, run, options)
      } catch (error) {
        if (!isOpenRpError(error, 'LOCK_LOST')) throw error
        // Lost before sending: once more from the lock; the context that took it over has
        // probably refreshed, and the re-read under the lock finds its set.
        return await lock.withLock(name, run, options)
      }
    } catch (error) {
      if (!isOpenRpError(error, 'SESSION_EXPIRED') && !isOpenRpError(error, 'LOGIN_REQUIRED')) {
        this.#events.emit('error', error)
      }
      throw error
    }
  }

  /**
   * Runs with the lock held (if any). `lease` is the lock's (missing for a Lock written before
   * LockLease existed: then it is never lost).
   */
  async #refreshNow(
    forcedFrom: TokenSet | undefined,
    lease: LockLease | undefined,
  ): Promise<TokenSet> {
    // Another tab or process may have refreshed while we waited for the lock.
    const stored = await this.#read()
    if (!stored) throw this.#noSession()
    let current = stored
    /** What the store holds now (the set to compare with before writing). */
    let inStore = stored
    const unsaved = this.#unsaved
    if (unsaved && sameTokens(unsaved.replaces, stored)) {
      // Not over the set of whoever holds the lock now (it is kept for the next try).
      assertLeaseHeld(lease, `${this.key}:refresh`)
      // Our last refresh never reached the store: its set is the current one.
      current = unsaved.set
      try {
        await this.#store.set(this.key, current.toJSON())
        this.#unsaved = undefined
        inStore = current
      } catch (error) {
        this.#events.emit('error', error)
      }
    }
    const stale = forcedFrom ? !rotatedSince(forcedFrom, current) : this.#needsRefresh(current)
    if (!stale) return current
    if (current.refreshToken !== undefined && current.refreshToken === this.#deadRefreshToken) {
      return this.#expire(current, undefined)
    }
    // A set other than the one that failed: a new session, which may expire (and say so) again.
    this.#expired = false
    if (current.refreshToken === undefined && !this.#renew) {
      if (!current.isExpired()) return current
      return this.#expire(current, undefined)
    }

    // The lease was lost while we read (Redis restarted, the event loop stalled past the
    // lease...): another context may hold the lock now and be sending this very refresh token.
    // Sending it too could look like a replay and revoke the whole grant, so don't; the caller
    // starts over from the lock. Once sent, a request is not abandoned however the lease fares:
    // the provider may already have rotated the refresh token, and its answer is then the only
    // valid set. It is written below only if the store still holds the set it replaces.
    assertLeaseHeld(lease, `${this.key}:refresh`)
    const epoch = this.#epoch
    let next: TokenSet
    try {
      next =
        current.refreshToken !== undefined
          ? await this.#client.refresh(current)
          : await this.#renew!(current)
    } catch (error) {
      if (!endsSession(error)) throw error
      // A sibling without our lock may have rotated the token first: ours was then "reused".
      const sibling = await this.#read().catch(() => undefined)
      if (sibling && rotatedSince(current, sibling) && !sibling.isExpired()) return sibling
      return this.#expire(current, error)
    }
    // setTokenSet() or clear() ran meanwhile, here or in another context (a logout in another
    // tab, a new login): their result wins, and this refresh's result is dropped.
    const latest = await this.#read()
    if (epoch !== this.#epoch || !latest || !sameTokens(latest, inStore)) {
      if (!latest) throw this.#noSession()
      return latest
    }
    try {
      await this.#store.set(this.key, next.toJSON())
      this.#unsaved = undefined
    } catch (error) {
      // The provider has rotated the refresh token: keep the new set rather than lose it, and
      // never send the used one again. The write is retried at the next refresh check.
      this.#unsaved = { replaces: inStore, set: next }
      this.#events.emit('error', error)
    }
    this.#rollJitter()
    this.#schedule(next)
    this.#events.emit('refreshed', next)
    this.#notifier?.publish({ type: 'refreshed' })
    return next
  }

  async #expire(current: TokenSet, cause: unknown): Promise<never> {
    this.#deadRefreshToken = current.refreshToken
    this.#cancelTimer()
    await this.#store.delete(this.key).catch(() => {})
    const error = new OpenRpError('SESSION_EXPIRED', 'The session has ended; log in again', {
      cause,
    })
    if (!this.#expired) {
      this.#expired = true
      this.#events.emit('expired', error)
      this.#notifier?.publish({ type: 'logout' })
    }
    throw error
  }

  async #read(): Promise<TokenSet | undefined> {
    const json = await this.#store.get(this.key)
    return json === undefined ? undefined : this.#toTokenSet(json)
  }

  /** The set a store value holds; the same (frozen) set again for the same frozen value. */
  #toTokenSet(json: unknown): TokenSet {
    if (json === this.#readJson && this.#readSet !== undefined) return this.#readSet
    let set: TokenSet
    try {
      set = TokenSet.fromJSON(json)
    } catch (cause) {
      throw new StoreError('The stored token set is malformed', { cause })
    }
    // Only a frozen value cannot change behind our back between two reads that return it.
    if (Object.isFrozen(json)) {
      Object.freeze(set)
      this.#readJson = json
      this.#readSet = set
    }
    return set
  }

  /** Due for renewal; a set nothing can renew is used until it expires. */
  #needsRefresh(set: TokenSet): boolean {
    const now = Date.now() / 1000
    if (set.refreshToken === undefined && this.#renew === undefined) return set.isExpired(0, now)
    return set.needsRenewal(this.#skewSec + this.#jitter, now)
  }

  #noSession(): OpenRpError {
    return this.#expired
      ? new OpenRpError('SESSION_EXPIRED', 'The session has ended; log in again')
      : new OpenRpError('LOGIN_REQUIRED', 'No token set is stored; log in first')
  }

  #rollJitter(): void {
    this.#jitter = Math.random() * this.#jitterSec
  }

  #onRemote(message: TokenChangeMessage): void {
    if (this.#closed) return
    if (message.type !== 'logout') {
      this.#read().then(
        (set) => {
          if (!set) return
          this.#expired = false
          this.#deadRefreshToken = undefined
          this.#schedule(set)
          this.#events.emit('refreshed', set)
        },
        () => {},
      )
    } else {
      // Another context logged out: a refresh running here must not write its result back.
      this.#epoch++
      this.#unsaved = undefined
      this.#cancelTimer()
    }
  }

  /** Arms the proactive timer for `set`, at least `minDelayMs` from now. */
  #schedule(set: TokenSet | undefined, minDelayMs = 0): void {
    if (!this.#proactive || this.#closed) return
    this.#cancelTimer()
    if (!set || set.expiresAt === undefined) return
    // A set nothing can renew is only looked at again when it expires (to end the session).
    const renewable = set.refreshToken !== undefined || this.#renew !== undefined
    const skew = renewable ? set.renewalSkew(this.#skewSec + this.#jitter) : 0
    const dueMs = (set.expiresAt - skew) * 1000 - Date.now()
    this.#arm(Math.max(minDelayMs, dueMs))
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#onTimer(), Math.min(delayMs, MAX_TIMER_MS))
    // Node: a pending refresh must not keep the process alive.
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  #onTimer(): void {
    this.#timer = undefined
    if (this.#closed) return
    if (this.#visibility && !this.#visibility.isVisible()) {
      this.#waitingForVisible = true
      return
    }
    this.#valid().then(
      (set) => {
        // Still early (the timer fired before the skew window), or nothing changed: look again
        // when due, never in a tight loop.
        if (this.#timer === undefined) this.#schedule(set, MIN_REARM_MS)
      },
      (error: unknown) => {
        if (isOpenRpError(error, 'SESSION_EXPIRED') || isOpenRpError(error, 'LOGIN_REQUIRED'))
          return
        if (this.#timer === undefined && !this.#closed) this.#arm(PROACTIVE_RETRY_MS)
      },
    )
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#waitingForVisible = false
  }
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

function nonNegative(value: number, name: string): number {
  if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
    throw new InvalidArgumentError(`${name} must be a non-negative number`)
  }
  return value
}
