/**
 * Machine-to-machine access tokens (client credentials), cached and shared.
 *
 * @module
 */
import {
  InvalidArgumentError,
  isOpenRpError,
  type Lock,
  type LockLease,
  MemoryStore,
  type Store,
  StoreError,
  TokenSet,
} from '@openrp/core'
import { assertLeaseHeld } from '@openrp/core/adapters'

/** What the provider needs from a client: `Client` satisfies it. */
export interface ClientCredentialsClient {
  clientCredentials(options: {
    scope?: string
    audience?: string
    resource?: string | string[]
  }): Promise<TokenSet>
  /**
   * A `Client` has these; they make cache keys specific to the issuer and client, so several
   * clients can share one store.
   */
  readonly metadata?: { issuer: string }
  readonly core?: { options: { clientId: string } }
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

export interface ClientCredentialsProviderOptions {
  client: ClientCredentialsClient
  /** Where tokens are cached (default: a MemoryStore of this provider). */
  store?: Store
  /**
   * Makes token requests exclusive across whatever shares `store`: with a RedisStore and a
   * RedisLock, a whole fleet shares one token per key.
   */
  lock?: Lock
  /** Get a new token when the cached one has less than this many seconds left (default 60). */
  skewSec?: number
  /** Prepended to cache keys (default `openrp:cc:`). */
  keyPrefix?: string
  /** Wait for `lock` at most this long (default 30000 ms); then LOCK_TIMEOUT. */
  lockTimeoutMs?: number
  /**
   * Lifetime assumed for a token whose response had no `expires_in` (default 300 s): it is
   * cached (in memory and in `store`, with that TTL) and its `expiresAt` set to that long
   * after it was received, then a new one is requested.
   */
  defaultLifetimeSec?: number
}

/**
 * Gives a valid client-credentials access token for each (scope, audience, resource), asking
 * the provider only when the cached one is missing or has less than `skewSec` left.
 *
 * - In-process: tokens are kept in memory and concurrent callers of one key share one request.
 * - With a shared `store` and `lock` (RedisStore + RedisLock), processes read the store first;
 *   the one that must fetch takes the lock, re-reads the store (another process may have
 *   fetched meanwhile), requests, writes the token with a TTL of its lifetime, and releases.
 *   A fleet therefore makes one request per key and expiry.
 *
 * - If the lock's lease is lost before the token request is sent (`lease.signal`, e.g. Redis
 *   restarted), the request is not sent: the provider takes the lock again and re-reads the
 *   store once (the process that got the lock has probably fetched a token); lost a second
 *   time, it rejects with `LOCK_LOST`. A request already sent is finished and its token stored.
 *
 * Errors keep their codes: the token endpoint's (`OAUTH_ERROR`, `NETWORK_ERROR`, ...), the
 * store's (`STORE_ERROR`), the lock's (`LOCK_TIMEOUT`, `LOCK_LOST`).
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
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export class ClientCredentialsProvider {
  readonly #client: ClientCredentialsClient
  readonly #store: Store
  readonly #lock: Lock | undefined
  readonly #skewSec: number
  readonly #keyPrefix: string
  readonly #lockTimeoutMs: number
  readonly #defaultLifetimeSec: number
  readonly #memory = new Map<string, TokenSet>()
  readonly #inflight = new Map<string, Promise<TokenSet>>()
  /**
   * keyOf() results of calls without `resource`, by scope, then audience, as given (`undefined`
   * as `''`, which gives the same key), for the issuer and client id they were made with.
   */
  readonly #keys = new Map<string, Map<string, string>>()
  #keysCount = 0
  #keysIssuer: string | undefined
  #keysClientId: string | undefined

  constructor(options: ClientCredentialsProviderOptions) {
    if (typeof options?.client?.clientCredentials !== 'function') {
      throw new InvalidArgumentError('ClientCredentialsProvider needs a client')
    }
    this.#client = options.client
    this.#store = options.store ?? new MemoryStore()
    this.#lock = options.lock
    this.#skewSec = options.skewSec ?? 60
    this.#keyPrefix = options.keyPrefix ?? 'openrp:cc:'
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 30_000
    this.#defaultLifetimeSec = options.defaultLifetimeSec ?? 300
    if (!(this.#skewSec >= 0)) throw new InvalidArgumentError('skewSec must be >= 0')
    if (!(this.#defaultLifetimeSec > 0 && Number.isFinite(this.#defaultLifetimeSec)))
      throw new InvalidArgumentError('defaultLifetimeSec must be a positive number')
  }

  /** A valid token for these parameters (cached while it has more than `skewSec` left). */
  async getToken(options: GetTokenOptions = {}): Promise<TokenSet> {
    const key = this.#keyOfCached(options)
    const cached = this.#memory.get(key)
    const { rejectedToken } = options
    if (rejectedToken !== undefined && typeof rejectedToken !== 'string')
      throw new InvalidArgumentError('rejectedToken must be a string')
    if (
      cached &&
      this.#fresh(cached) &&
      (rejectedToken !== undefined ? cached.accessToken !== rejectedToken : !options.forceRefresh)
    )
      return cached
    const running = this.#inflight.get(key)
    if (running) {
      if (rejectedToken === undefined) return running
      // A request under way may end with the refused token itself (read from the store).
      const tokens = await running
      return tokens.accessToken !== rejectedToken ? tokens : this.getToken(options)
    }
    const promise = this.#obtain(key, options, cached).finally(() => this.#inflight.delete(key))
    this.#inflight.set(key, promise)
    return promise
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
   * {@link keyOf}, remembered for the common call (string scope and audience, no resource):
   * computing it is most of the work of a cached getToken(). Not when a subclass overrides
   * keyOf(), which may depend on more than the options and the client.
   */
  #keyOfCached(options: GetTokenOptions): string {
    const { scope = '', audience = '' } = options
    if (
      options.resource !== undefined ||
      typeof scope !== 'string' ||
      typeof audience !== 'string' ||
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

  async #obtain(key: string, options: GetTokenOptions, cached: TokenSet | undefined) {
    // Fast path for a fleet: another process may have fetched a token already.
    const seen = await this.#read(key)
    // The token to replace: the one the resource refused, or (forced) the one cached now.
    const replaced =
      options.rejectedToken ?? (options.forceRefresh ? (cached ?? seen)?.accessToken : undefined)
    if (seen && this.#fresh(seen) && seen.accessToken !== replaced) return this.#remember(key, seen)

    const run = async (lease?: LockLease): Promise<TokenSet> => {
      const current = this.#lock ? await this.#read(key) : seen
      // Fresh and not the token being replaced: someone else just fetched it.
      if (current && this.#fresh(current) && current.accessToken !== replaced) {
        return this.#remember(key, current)
      }
      // The lease was lost while we read: another process may hold the lock and be fetching
      // now. Don't send a request of our own; the caller starts over. A request once sent is
      // not abandoned when the lease is lost later: its token is as good as any other.
      // (A lock written before LockLease existed passes none: it is never lost.)
      assertLeaseHeld(lease, key)
      const tokens = this.#withLifetime(
        await this.#client.clientCredentials({
          scope: options.scope,
          audience: options.audience,
          resource: options.resource,
        }),
      )
      const ttlSec = tokens.expiresIn()
      await this.#store.set(
        key,
        tokens.toJSON(),
        ttlSec !== undefined && ttlSec > 0 ? { ttlSec } : undefined,
      )
      return this.#remember(key, tokens)
    }
    const lock = this.#lock
    if (!lock) return run()
    try {
      return await lock.withLock(key, run, { timeoutMs: this.#lockTimeoutMs })
    } catch (error) {
      if (!isOpenRpError(error, 'LOCK_LOST')) throw error
      // Once more, from the lock: the process that took it over has probably fetched a token.
      return lock.withLock(key, run, { timeoutMs: this.#lockTimeoutMs })
    }
  }

  async #read(key: string): Promise<TokenSet | undefined> {
    const json = await this.#store.get(key)
    if (json === undefined) return undefined
    try {
      return TokenSet.fromJSON(json)
    } catch (cause) {
      throw new StoreError('The cached token is malformed', { cause })
    }
  }

  /** A token without `expires_in` lives `defaultLifetimeSec`, not forever. */
  #withLifetime(tokens: TokenSet): TokenSet {
    if (tokens.expiresAt !== undefined) return tokens
    const now = Math.floor(Date.now() / 1000)
    return TokenSet.fromJSON({
      ...tokens.toJSON(),
      issuedAt: tokens.issuedAt ?? now,
      expiresAt: now + this.#defaultLifetimeSec,
    })
  }

  #fresh(tokens: TokenSet): boolean {
    return !tokens.needsRenewal(this.#skewSec, Date.now() / 1000)
  }

  /** Keeps `tokens` for `key`, frozen: every caller of the key gets this very object. */
  #remember(key: string, tokens: TokenSet): TokenSet {
    Object.freeze(tokens)
    this.#memory.set(key, tokens)
    return tokens
  }
}
