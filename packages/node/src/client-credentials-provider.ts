/**
 * Machine-to-machine access tokens (client credentials), cached and shared.
 *
 * @module
 */
import {
  type BackoffPolicy,
  type Clock,
  InvalidArgumentError,
  isOpenRpError,
  type Lock,
  MemoryStore,
  type OpenRpError,
  RefreshCoordinator,
  type RefreshTask,
  type Store,
  systemClock,
  TokenSet,
} from '@openrp/core'

/** What the provider needs from a client: `Client` satisfies it. */
export interface ClientCredentialsClient {
  /** Gets a token with the client credentials grant. */
  clientCredentials(options: {
    scope?: string
    audience?: string
    resource?: string | string[]
    /** The provider passes `false`: its backoff is the only retry policy. */
    retry?: boolean
  }): Promise<TokenSet>
  /**
   * A `Client` has these; they make cache keys specific to the issuer and client, so several
   * clients can share one store.
   */
  readonly metadata?: { issuer: string }
  readonly core?: { options: { clientId: string; clock?: Clock } }
}

/** Which token {@link ClientCredentialsProvider.getToken} should give. */
export interface GetTokenOptions {
  scope?: string
  /** Audience of the token (a common vendor parameter). */
  audience?: string
  /** RFC 8707 resource indicator(s). */
  resource?: string | string[]
  /**
   * The access token a resource just refused (answered 401 to). A new token is fetched only
   * if the cached (or shared) token is still this one; when another caller or process has
   * replaced it already, that replacement is returned. So any number of late 401s for the
   * same old token cause one token request. Prefer it over `forceRefresh`.
   */
  rejectedToken?: string
  /**
   * Ignore the token cached now and get another (unless another process replaced it
   * meanwhile). Each forced call replaces whatever is cached at that moment, even a token
   * fetched a moment ago: to replace a token a resource refused, pass `rejectedToken`.
   */
  forceRefresh?: boolean
}

/** Options of {@link ClientCredentialsProvider}. */
export interface ClientCredentialsProviderOptions {
  client: ClientCredentialsClient
  /**
   * Where tokens are cached (default: a MemoryStore of this provider, on its `clock`, holding
   * at most `maxCachedTokens` entries: expired ones are swept, then the least recently used
   * evicted). A store you pass keeps its own policy.
   */
  store?: Store
  /**
   * Makes token requests exclusive across whatever shares `store`: with a RedisStore and a
   * RedisLock, a whole fleet shares one token per key.
   */
  lock?: Lock
  /**
   * Renew a token when it has less than this many seconds left (default 60). Until it expires,
   * callers get it at once while the renewal runs in the background.
   */
  refreshSkewSec?: number
  /** @deprecated Use `refreshSkewSec` (same meaning); kept for one release. */
  skewSec?: number
  /** Prepended to store keys (default `openrp:cc:`). */
  storageKeyPrefix?: string
  /** @deprecated Use `storageKeyPrefix` (same meaning); kept for one release. */
  keyPrefix?: string
  /** Wait for `lock` at most this long (default 30000 ms); then LOCK_TIMEOUT. */
  lockTimeoutMs?: number
  /**
   * How long a caller waits for a token request (default 30000 ms); then it gets `TIMEOUT`.
   * The request goes on, and its token is cached when it comes. Only a caller that holds no
   * valid token, or asks for a token to replace, waits: a token due for renewal is renewed in
   * the background.
   */
  timeoutMs?: number
  /**
   * Lifetime assumed for a token whose response had no `expires_in` (default 300 s): it is
   * cached (in memory and in `store`, with that TTL) and its `expiresAt` set to that long
   * after it was received, then a new one is requested.
   */
  defaultLifetimeSec?: number
  /**
   * At most this many tokens are kept in memory (default 1000). Expired ones go first, then
   * the least recently fetched; a `store` you pass still has them. The default store is capped
   * at this count too, so without a `store` memory is bounded by it, not by tokens' lifetime.
   */
  maxCachedTokens?: number
  /** Time (default: the client's `clock`, else the system clock). */
  clock?: Clock
  /** Randomness for the backoff jitter, in [0, 1) (default `Math.random`). */
  random?: () => number
  /** Pauses after failed token requests, shared by the fleet through the store. */
  backoff?: BackoffPolicy
  /**
   * Called with an error callers were spared: a renewal failed (the token endpoint unavailable,
   * out of reach, refusing the client or answering badly, the store or its lock failing) while
   * this provider held a token for the key that has not expired, and that token was handed out
   * instead (see {@link ClientCredentialsProvider}). Once per failure, however many calls it
   * spares: a request that failed, a read or write of the store, a wait for the lock or for the
   * request that ran out (the callers of one request whose wait runs out share one `TIMEOUT`).
   * During the backoff that follows, calls get the held token, their renewals failing at once
   * with the remembered error, without a request: that error is not told again. After any failed
   * renewal no other starts in the background for a pause as long as a backoff step (the store or
   * its lock failing, which no backoff remembers, included): a store outage is told once per
   * pause, not once per call, and no call reads the store only to fail at once.
   * A fleet member that reads another member's failure from the store tells of it once. What it
   * throws does not change anything.
   */
  onWarning?: (error: OpenRpError) => void
}

/**
 * Gives a valid client-credentials access token for each (scope, audience, resource), asking
 * the provider only when the cached one is missing or has less than `refreshSkewSec` left.
 * Callers wait for that request only when no token with time to spare is held: a token in the
 * first half of its renewal window (less than `refreshSkewSec` left, more than half of that) is
 * handed out at once while it is renewed in the background.
 *
 * It runs on the same {@link RefreshCoordinator} as `TokenManager`:
 * - In-process: tokens are kept in memory (at most `maxCachedTokens`, expired ones evicted
 *   first) and concurrent callers of one key share one request. Without a `store`, the
 *   provider's own MemoryStore holds at most `maxCachedTokens` entries as well (expired ones
 *   swept, then the least recently used evicted): memory stays bounded over any number of keys.
 * - With a shared `store` and `lock` (RedisStore + RedisLock), processes read the store first;
 *   the one that must fetch takes the lock, re-reads the store (another process may have
 *   fetched meanwhile), requests, writes the token with a TTL of its lifetime, and releases.
 *   A fleet therefore makes one request per key and expiry.
 * - A failed request is remembered per key (exponential backoff with jitter, at least the
 *   provider's `Retry-After` up to an hour), in the process and, through the store, in the fleet:
 *   meanwhile callers get the remembered error at once, without a request. That backoff is the
 *   only retry policy: each attempt is one request (the client's `retry` option does not apply),
 *   so a fleet sends at most one request per backoff step during an outage.
 * - A token inside its renewal window is renewed in the background: while the provider holds
 *   a token for the key with more than half the window left (in memory, or just read from the
 *   store), callers get it at once, and the first of them starts one renewal (one per key in the process; the
 *   store, lock and backoff as above, so a fleet renews once). Its token is handed out once it
 *   comes. A renewal that fails gives `onWarning` the error and callers the held token; a call
 *   after the backoff tries again. That goes for any failure, since none makes the held token
 *   less valid: the token endpoint out of reach, unavailable or slower than its client's
 *   timeout; the store or its lock failing (`STORE_ERROR`, `LOCK_TIMEOUT`, `LOCK_LOST`: nothing
 *   is requested without the store, so a fleet whose store is down does not turn on the
 *   provider); the provider refusing the client (`invalid_client` for bad credentials or a
 *   revoked client, ...) or answering badly (nothing of such an answer is stored), which
 *   `onWarning` is there to tell the operator of while callers go on until the token expires.
 *   After a failed renewal no other starts in the background for a pause of the backoff's length
 *   (`backoff.baseMs`, doubled after each failure in a row, up to `maxMs`): calls neither read a
 *   store that is down, nor read the store only to fail at once with the remembered error.
 *   An error that is no `OpenRpError` (a store of the app's own throwing something else) goes to
 *   the next caller instead: it renews in the foreground. A token to replace (`forceRefresh`,
 *   `rejectedToken`) or an expired one is never handed out so: those callers wait for the
 *   renewal (joining the one under way), and get its error.
 * - A request once sent is not abandoned: a caller's wait ends after `timeoutMs` (then, should
 *   it hold a valid token after all, it gets that token, the `TIMEOUT` to `onWarning`), the
 *   token is cached when it comes; {@link ClientCredentialsProvider.close} waits for background
 *   renewals to end.
 * - If the lock's lease is lost before the token request is sent (`lease.signal`, e.g. Redis
 *   restarted), the request is not sent: the provider takes the lock again and re-reads the
 *   store once; lost a second time, it rejects with `LOCK_LOST`.
 * - A store entry that cannot be read as a token (another writer's, or corrupt) counts as no
 *   token: a new one is fetched (under the lock, like any other miss) and overwrites it.
 *
 * Errors keep their codes: the token endpoint's (`OAUTH_ERROR`, `NETWORK_ERROR`, ...), the
 * store's (`STORE_ERROR`), the lock's (`LOCK_TIMEOUT`, `LOCK_LOST`), `TIMEOUT` for a wait; any of
 * them only when no valid token is held, or for a token to replace (see above).
 *
 * @example
 * ```ts
 * import { ClientCredentialsProvider, RedisLock, RedisStore } from '@openrp/node'
 * const tokens = new ClientCredentialsProvider({
 *   client,
 *   store: new RedisStore({ url: process.env.REDIS_URL }),
 *   lock: new RedisLock({ url: process.env.REDIS_URL }),
 * })
 * const { accessToken } = await tokens.getToken({ scope: 'api:read', audience: 'https://api.example.com' })
 * // on shutdown: background renewals end (their tokens stored) before the store closes
 * await tokens.close()
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export class ClientCredentialsProvider {
  readonly #client: ClientCredentialsClient
  readonly #store: Store
  readonly #clock: Clock
  readonly #skewSec: number
  readonly #keyPrefix: string
  readonly #defaultLifetimeSec: number
  readonly #maxCachedTokens: number
  readonly #coordinator: RefreshCoordinator
  readonly #onWarning: ((error: OpenRpError) => void) | undefined
  /** Tokens by key, oldest fetch first (a Map keeps insertion order). */
  readonly #memory = new Map<string, TokenSet>()
  /**
   * keyOf() results of calls without `resource`, by scope, then audience, as given (`undefined`
   * as `''`, which gives the same key), for the issuer and client id they were made with.
   */
  readonly #keys = new Map<string, Map<string, string>>()
  #keysCount = 0
  /** The earliest `expiresAt` (s) in `#memory` since the last sweep: no sweep before it. */
  #earliestExpiry = Number.POSITIVE_INFINITY
  #keysIssuer: string | undefined
  #keysClientId: string | undefined
  /** The background renewal under way per key: at most one. */
  readonly #renewals = new Map<string, Promise<void>>()
  /**
   * The holds of `lock` under way (by lock name, the key), each settled once released. A flight
   * hands its token out before it ends (its failure record forgotten, the lock released): a
   * background renewal waits for these too, or a store and lock closed right after close() left
   * the lock held for a whole lease.
   */
  readonly #holds = new Set<{ name: string; released: Promise<void> }>()
  /**
   * Keys whose last background renewal failed with an error `onWarning` does not take (no
   * OpenRpError): the next caller renews in the foreground, and gets it. Only keys held in
   * `#memory`, dropped with their token (#evict): bounded by `maxCachedTokens`.
   */
  readonly #unreported = new Set<string>()
  /**
   * Keys whose background renewal failed: no new background renewal before `untilMs`, or every
   * call inside the renewal window would start one that reads the store again, only to fail at
   * once with the backoff's remembered error or, the store or its lock failing (no backoff
   * remembers those), to read a store that is down and warn again. The pause grows with
   * `attempt`, such failures in a row, as the backoff's does; a token renewed clears it. Only
   * keys held in `#memory`, dropped with their token (#evict).
   */
  readonly #paused = new Map<string, { untilMs: number; attempt: number }>()
  readonly #random: () => number
  /** The backoff's first and longest pause, ms (`backoff`, as the coordinator reads it). */
  readonly #pauseBaseMs: number
  readonly #pauseMaxMs: number
  /**
   * Errors told to onWarning already: the coordinator hands out one error object per failure (the
   * remembered error of a backoff step, the shared TIMEOUT of a flight), told once.
   */
  readonly #warned = new WeakSet<OpenRpError>()
  /** close() was called: nothing is renewed in the background any more. */
  #closed = false

  constructor(options: ClientCredentialsProviderOptions) {
    if (typeof options?.client?.clientCredentials !== 'function') {
      throw new InvalidArgumentError('ClientCredentialsProvider needs a client')
    }
    this.#client = options.client
    this.#clock = options.clock ?? options.client.core?.options?.clock ?? systemClock
    this.#skewSec = options.refreshSkewSec ?? options.skewSec ?? 60
    this.#keyPrefix = options.storageKeyPrefix ?? options.keyPrefix ?? 'openrp:cc:'
    this.#defaultLifetimeSec = options.defaultLifetimeSec ?? 300
    this.#maxCachedTokens = options.maxCachedTokens ?? 1000
    this.#onWarning = options.onWarning
    if (!(this.#skewSec >= 0)) throw new InvalidArgumentError('refreshSkewSec must be >= 0')
    if (!(this.#defaultLifetimeSec > 0 && Number.isFinite(this.#defaultLifetimeSec)))
      throw new InvalidArgumentError('defaultLifetimeSec must be a positive number')
    if (!(Number.isInteger(this.#maxCachedTokens) && this.#maxCachedTokens >= 1))
      throw new InvalidArgumentError('maxCachedTokens must be a positive integer')
    const lockTimeoutMs = waitMs(options.lockTimeoutMs, 'lockTimeoutMs')
    const timeoutMs = waitMs(options.timeoutMs, 'timeoutMs')
    const clock = this.#clock
    // Bounded like the in-memory cache; failure records (backoff) count towards the cap too.
    this.#store =
      options.store ??
      new MemoryStore({ now: () => clock.now(), maxEntries: this.#maxCachedTokens })
    this.#coordinator = new RefreshCoordinator({
      store: this.#store,
      lock: options.lock && this.#tracked(options.lock),
      clock: this.#clock,
      random: options.random,
      lockTimeoutMs,
      waitTimeoutMs: timeoutMs,
      backoff: options.backoff,
    })
    // Checked by the coordinator above.
    this.#random = options.random ?? Math.random
    this.#pauseBaseMs = options.backoff?.baseMs ?? 1_000
    this.#pauseMaxMs = options.backoff?.maxMs ?? 60_000
  }

  /** How many tokens are kept in memory now (at most `maxCachedTokens`). */
  get cachedTokens(): number {
    return this.#memory.size
  }

  /**
   * A valid token for these parameters: the cached one while it has more than `refreshSkewSec`
   * left; in the first half of that window, still the cached one, renewed in the background.
   */
  async getToken(options: GetTokenOptions = {}): Promise<TokenSet> {
    checkTokenOptions(options)
    const key = this.#keyOfCached(options)
    const cached = this.#memory.get(key)
    const { rejectedToken } = options
    const kept =
      cached !== undefined &&
      (rejectedToken !== undefined ? cached.accessToken !== rejectedToken : !options.forceRefresh)
    if (kept && this.#fresh(cached)) return cached
    // A background renewal failed with an error no one was told of: this caller renews, and
    // gets it.
    const background = !options.forceRefresh && !this.#unreported.delete(key)
    if (kept && background && this.#renewingInBackground(key, options, cached)) return cached
    const running = this.#coordinator.running(key) as Promise<TokenSet> | undefined
    if (running && (rejectedToken !== undefined || options.forceRefresh)) {
      // A request under way may end with the refused token itself (read from the store).
      // Joined through the coordinator (in this very turn), so the wait ends after timeoutMs.
      const tokens = await this.#coordinator
        .run(this.#task(key, options, undefined))
        .catch((error: unknown) => {
          if (isOpenRpError(error, 'TIMEOUT')) throw error
          return undefined
        })
      if (tokens && tokens.accessToken !== (rejectedToken ?? cached?.accessToken)) return tokens
    }
    return this.#obtain(key, options, cached, background)
  }

  /** The store key of a token for these parameters (scopes and resources order-insensitive). */
  keyOf(options: GetTokenOptions = {}): string {
    const scope = [...new Set((options.scope ?? '').split(/\s+/).filter(Boolean))].sort().join(' ')
    const resource = [...new Set([options.resource ?? []].flat())].sort().join(' ')
    const parts = [
      this.#client.metadata?.issuer ?? '',
      this.#client.core?.options.clientId ?? '',
      `scope=${scope}`,
      `aud=${options.audience ?? ''}`,
      `res=${resource}`,
    ]
    return this.#keyPrefix + parts.map(encodeURIComponent).join('|')
  }

  /**
   * {@link keyOf}, remembered for the common call (no resource; scope and audience checked):
   * computing it is most of the work of a cached getToken(). Not when a subclass overrides
   * keyOf(), which may depend on more than the options and the client.
   */
  #keyOfCached(options: GetTokenOptions): string {
    const { scope = '', audience = '' } = options
    if (
      options.resource !== undefined ||
      this.keyOf !== ClientCredentialsProvider.prototype.keyOf
    ) {
      return this.keyOf(options)
    }
    const issuer = this.#client.metadata?.issuer
    const clientId = this.#client.core?.options.clientId
    if (issuer !== this.#keysIssuer || clientId !== this.#keysClientId || this.#keysCount >= 1000) {
      this.#keys.clear()
      this.#keysCount = 0
      this.#keysIssuer = issuer
      this.#keysClientId = clientId
    }
    let byAudience = this.#keys.get(scope)
    let key = byAudience?.get(audience)
    if (key === undefined) {
      key = this.keyOf(options)
      if (byAudience === undefined) {
        byAudience = new Map()
        this.#keys.set(scope, byAudience)
      }
      byAudience.set(audience, key)
      this.#keysCount++
    }
    return key
  }

  async #obtain(
    key: string,
    options: GetTokenOptions,
    cached: TokenSet | undefined,
    background: boolean,
  ) {
    let seen: TokenSet | undefined
    try {
      // Fast path for a fleet: another process may have fetched a token already.
      seen = await this.#read(key)
      // The token to replace: the one the resource refused, or (forced) the one cached now.
      const replaced =
        options.rejectedToken ?? (options.forceRefresh ? (cached ?? seen)?.accessToken : undefined)
      if (seen && seen.accessToken !== replaced) {
        if (this.#fresh(seen)) return this.#renewed(key, seen)
        // A member that holds nothing yet: the stored token, renewed in the background.
        if (background && this.#renewingInBackground(key, options, seen))
          return this.#remember(key, seen)
      }
      const tokens = await this.#coordinator.run(this.#task(key, options, replaced))
      return this.#renewed(key, tokens)
    } catch (error) {
      return this.#heldDespite(error, key, options, seen)
    }
  }

  /** As #remember, for a token just renewed (or read renewed): renewals of `key` pause no more. */
  #renewed(key: string, tokens: TokenSet): TokenSet {
    this.#paused.delete(key)
    return this.#remember(key, tokens)
  }

  /**
   * Getting a token failed ({@link spares}): the token held for `key` (in memory, else the one
   * just read from the store) all the same while it has not expired and is not the one to
   * replace, with the error to `onWarning`; else the error. The one place that decides for a
   * caller's own wait (a background renewal's failure goes through {@link spares} too): the
   * coordinator hands out no stored token on a failure of its own (`fallBack`), so none is
   * handed out without `onWarning` hearing why.
   */
  #heldDespite(
    error: unknown,
    key: string,
    options: GetTokenOptions,
    seen: TokenSet | undefined,
  ): TokenSet {
    if (!spares(error) || options.forceRefresh) throw error
    const valid = (tokens: TokenSet | undefined): tokens is TokenSet =>
      tokens !== undefined &&
      !tokens.isExpired(0, this.#nowSec()) &&
      tokens.accessToken !== options.rejectedToken
    const memory = this.#memory.get(key)
    const held = valid(memory) ? memory : valid(seen) ? this.#remember(key, seen) : undefined
    if (!held) throw error
    this.#warn(error)
    return held
  }

  #warn(error: OpenRpError): void {
    if (this.#warned.has(error)) return
    this.#warned.add(error)
    try {
      this.#onWarning?.(error)
    } catch {
      // The app's warning hook failing does not take the token away from its caller.
    }
  }

  /**
   * Whether `held` is handed out while it is renewed in the background: it is in the first half
   * of its renewal window (more than half of `refreshSkewSec`, or of the window
   * {@link TokenSet.renewalSkew} gives a short-lived token, left) and the provider is not closed.
   * In the last half a caller waits for the renewal, as one that holds nothing does: a token
   * handed out seconds before it expires would fail at the resource server it is sent to.
   * Starts the renewal unless one is under way for `key`.
   */
  #renewingInBackground(key: string, options: GetTokenOptions, held: TokenSet): boolean {
    if (this.#closed || held.isExpired(held.renewalSkew(this.#skewSec) / 2, this.#nowSec()))
      return false
    if (this.#renewals.has(key) || (this.#paused.get(key)?.untilMs ?? 0) > this.#clock.now())
      return true
    const renewal = this.#renew(key, options)
      .then(
        () => {
          this.#paused.delete(key)
        },
        (error: unknown) => {
          if (spares(error)) this.#warn(error)
          // A key evicted meanwhile holds no token: its next caller waits for the renewal anyway.
          if (!this.#memory.has(key)) return
          if (!spares(error)) this.#unreported.add(key)
          else this.#pause(key)
        },
      )
      .finally(() => {
        if (this.#renewals.get(key) === renewal) this.#renewals.delete(key)
      })
    this.#renewals.set(key, renewal)
    return true
  }

  /**
   * No background renewal of `key` for a while: the backoff's pause for as many failures in a
   * row (`baseMs` doubled after each, up to `maxMs`, with the same jitter), on the clock.
   */
  #pause(key: string): void {
    const attempt = (this.#paused.get(key)?.attempt ?? 0) + 1
    const pauseMs = Math.min(this.#pauseBaseMs * 2 ** Math.min(attempt - 1, 1023), this.#pauseMaxMs)
    const untilMs = this.#clock.now() + pauseMs / 2 + this.#random() * (pauseMs / 2)
    this.#paused.set(key, { untilMs, attempt })
  }

  /** One background renewal: as a caller's (#obtain), but waited for to its end. */
  async #renew(key: string, options: GetTokenOptions): Promise<void> {
    // Another process may have renewed already.
    const seen = await this.#read(key)
    if (seen && this.#fresh(seen)) {
      this.#remember(key, seen)
      return
    }
    if (this.#closed) return
    const waiting = this.#coordinator.run(this.#task(key, options, undefined))
    // Nobody waits for it but close(): its end, not a caller's wait of `timeoutMs`, which is
    // dropped (it would only say that the renewal takes long).
    waiting.catch(() => {})
    const flight = (this.#coordinator.running(key) as Promise<TokenSet> | undefined) ?? waiting
    try {
      this.#remember(key, await flight)
    } finally {
      // Until the flight has ended: its lock released, its failure record forgotten.
      await Promise.all([...this.#holds].filter((h) => h.name === key).map((h) => h.released))
    }
  }

  /**
   * Stops renewing in the background: from now on a call whose token is due for renewal waits
   * for it, as one that holds no valid token does. Resolves once the background renewals under
   * way have ended: a request already sent is finished, its token stored and the lock released.
   * One that has not read the store yet sends nothing; one already waiting for the lock sends its
   * request once it holds it (so closing can take up to `lockTimeoutMs` and that request). Call
   * it before closing `store` and `lock`.
   *
   * @example
   * ```ts
   * import { ClientCredentialsProvider, RedisLock, RedisStore } from '@openrp/node'
   * const store = new RedisStore({ url: process.env.REDIS_URL })
   * const lock = new RedisLock({ url: process.env.REDIS_URL })
   * const m2m = new ClientCredentialsProvider({ client, store, lock })
   * // ... on shutdown
   * await m2m.close()
   * await Promise.all([store.close(), lock.close()])
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true
    await Promise.all(this.#renewals.values())
  }

  /** `lock`, its holds kept in {@link #holds} until released. */
  #tracked(lock: Lock): Lock {
    return {
      withLock: (name, fn, options) => {
        const held = lock.withLock(name, fn, options)
        const hold = { name, released: held.then(noop, noop) }
        this.#holds.add(hold)
        hold.released.then(() => this.#holds.delete(hold))
        return held
      },
    }
  }

  /** What the coordinator does for one key. */
  #task(
    key: string,
    options: GetTokenOptions,
    replaced: string | undefined,
  ): RefreshTask<TokenSet> {
    return {
      key,
      // An entry that is no token is a miss: fetched again under the lock, then overwritten.
      decode: (json) => decode(json),
      encode: (tokens) => {
        const ttlSec = tokens.expiresIn(this.#nowSec())
        return {
          json: tokens.toJSON(),
          ttlSec: ttlSec !== undefined && ttlSec > 0 ? ttlSec : undefined,
        }
      },
      // Fresh and not the token being replaced: someone else just fetched it.
      settled: (stored) =>
        stored && this.#fresh(stored) && stored.accessToken !== replaced ? stored : undefined,
      request: async () => ({
        value: this.#withLifetime(
          await this.#client.clientCredentials({
            // An empty scope or audience is keyed as none (keyOf), so it is sent as none.
            scope: options.scope?.trim() || undefined,
            audience: options.audience || undefined,
            resource: options.resource,
            // One request per attempt: the client's own retries would stack under the backoff
            // (three requests per attempt by default), hammering a provider that is down.
            retry: false,
          }),
        ),
      }),
      // Another process's token in the meantime is as good as ours; an empty slot takes ours.
      same: (latest, started) =>
        latest === undefined || latest.accessToken === started?.accessToken,
      superseded: (latest) => latest!,
      usable: (tokens): tokens is TokenSet =>
        tokens !== undefined &&
        !tokens.isExpired(0, this.#nowSec()) &&
        tokens.accessToken !== replaced,
      // Whether a failure spares callers a valid token is decided in #heldDespite alone, which
      // tells onWarning.
      fallBack: false,
    }
  }

  async #read(key: string): Promise<TokenSet | undefined> {
    const json = await this.#store.get(key)
    return json === undefined ? undefined : decode(json)
  }

  /** A token without `expires_in` lives `defaultLifetimeSec`, not forever. */
  #withLifetime(tokens: TokenSet): TokenSet {
    if (tokens.expiresAt !== undefined) return tokens
    const now = Math.floor(this.#nowSec())
    return TokenSet.fromJSON({
      ...tokens.toJSON(),
      issuedAt: tokens.issuedAt ?? now,
      expiresAt: now + this.#defaultLifetimeSec,
    })
  }

  #nowSec(): number {
    return this.#clock.now() / 1000
  }

  #fresh(tokens: TokenSet): boolean {
    return !tokens.needsRenewal(this.#skewSec, this.#nowSec())
  }

  /**
   * Keeps `tokens` for `key`, frozen: every caller of the key gets this very object. Over
   * `maxCachedTokens`, expired tokens are evicted first, then the oldest fetched.
   */
  #remember(key: string, tokens: TokenSet): TokenSet {
    Object.freeze(tokens)
    this.#memory.delete(key)
    this.#memory.set(key, tokens)
    this.#earliestExpiry = Math.min(this.#earliestExpiry, tokens.expiresAt ?? Infinity)
    if (this.#memory.size > this.#maxCachedTokens) this.#evict()
    return tokens
  }

  #evict(): void {
    const now = this.#nowSec()
    // A sweep only when something may have expired: O(1) per call while nothing does.
    if (now >= this.#earliestExpiry) {
      this.#earliestExpiry = Number.POSITIVE_INFINITY
      for (const [key, tokens] of this.#memory) {
        if (tokens.isExpired(0, now)) this.#forget(key)
        else this.#earliestExpiry = Math.min(this.#earliestExpiry, tokens.expiresAt ?? Infinity)
      }
    }
    // Still too many: the least recently fetched go.
    for (const key of this.#memory.keys()) {
      if (this.#memory.size <= this.#maxCachedTokens) break
      this.#forget(key)
    }
  }

  /** Drops the token of `key` from memory, with what is kept about its background renewals. */
  #forget(key: string): void {
    this.#memory.delete(key)
    this.#unreported.delete(key)
    this.#paused.delete(key)
  }
}

/** Settles a promise without a value, whatever its outcome. */
function noop(): void {}

/**
 * A wait in ms (default 30000): a number, 0 or more (`Infinity` waits without end). A NaN (an
 * unset environment variable through `Number()`) made every wait endless, a negative one
 * failed every call at once.
 */
function waitMs(value: number | undefined, name: string): number {
  if (value === undefined) return 30_000
  if (!(typeof value === 'number' && value >= 0))
    throw new InvalidArgumentError(`${name} must be a number, 0 or more`)
  return value
}

/**
 * Whether a token held that has not expired is handed out despite `error`, which then goes to
 * `onWarning`: any failure to renew it, since none makes that token less valid (an outage, the
 * store or its lock failing, a wait that ran out, the provider refusing the client or answering
 * badly); callers would only fail before they must. Not a caller's mistake (`INVALID_ARGUMENT`),
 * nor an error that is no OpenRpError (a bug, or a store or lock of the app's own throwing
 * something else).
 */
function spares(error: unknown): error is OpenRpError {
  return isOpenRpError(error) && error.code !== 'INVALID_ARGUMENT'
}

/**
 * Refuses options of the wrong type before a key is made of them: keyOf() would throw a bare
 * TypeError on a scope that is not a string, or make a key of an audience no request may carry.
 */
function checkTokenOptions(options: GetTokenOptions): void {
  for (const name of ['scope', 'audience'] as const) {
    const value = options[name]
    if (value !== undefined && typeof value !== 'string')
      throw new InvalidArgumentError(`${name} must be a string`)
  }
  if (options.rejectedToken !== undefined && typeof options.rejectedToken !== 'string')
    throw new InvalidArgumentError('rejectedToken must be a string')
}

/**
 * The cached token in a store entry, or `undefined` when the entry cannot be read as one (written
 * by something else, or corrupt): a cache miss, not a failure of the store.
 */
function decode(json: unknown): TokenSet | undefined {
  try {
    return TokenSet.fromJSON(json)
  } catch {
    return undefined
  }
}
