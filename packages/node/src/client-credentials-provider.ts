/**
 * Machine-to-machine access tokens (client credentials), cached and shared.
 *
 * @module
 */
import {
  InvalidArgumentError,
  type Lock,
  MemoryStore,
  type Store,
  StoreError,
  TokenSet,
} from '@openrp/core'

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
  readonly core?: { client: { client_id: string } }
}

/** Which token {@link ClientCredentialsProvider.getToken} should give. */
export interface GetTokenOptions {
  scope?: string
  /** Audience of the token (a common vendor parameter). */
  audience?: string
  /** RFC 8707 resource indicator(s). */
  resource?: string | string[]
  /**
   * Ignore the cached token (e.g. the resource just answered 401 with it) and get another,
   * unless another caller or process already replaced it meanwhile.
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
 * Errors keep their codes: the token endpoint's (`OAUTH_ERROR`, `NETWORK_ERROR`, ...), the
 * store's (`STORE_ERROR`), the lock's (`LOCK_TIMEOUT`).
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
    if (!(this.#skewSec >= 0)) throw new InvalidArgumentError('skewSec must be >= 0')
  }

  /** A valid token for these parameters (cached while it has more than `skewSec` left). */
  async getToken(options: GetTokenOptions = {}): Promise<TokenSet> {
    const key = this.#keyOfCached(options)
    const cached = this.#memory.get(key)
    if (!options.forceRefresh && cached && this.#fresh(cached)) return cached
    const running = this.#inflight.get(key)
    if (running) return running
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
      this.#client.core?.client.client_id ?? '',
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
    const clientId = this.#client.core?.client.client_id
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
    if (!options.forceRefresh && seen && this.#fresh(seen)) return this.#remember(key, seen)
    const replaced = options.forceRefresh ? (cached ?? seen) : undefined

    const run = async (): Promise<TokenSet> => {
      const current = this.#lock ? await this.#read(key) : seen
      // Fresh, and (when forced) not the token being replaced: someone else just fetched it.
      if (current && this.#fresh(current) && current.accessToken !== replaced?.accessToken) {
        return this.#remember(key, current)
      }
      const tokens = await this.#client.clientCredentials({
        scope: options.scope,
        audience: options.audience,
        resource: options.resource,
      })
      const ttlSec = tokens.expiresIn()
      await this.#store.set(
        key,
        tokens.toJSON(),
        ttlSec !== undefined && ttlSec > 0 ? { ttlSec } : undefined,
      )
      return this.#remember(key, tokens)
    }
    return this.#lock ? this.#lock.withLock(key, run, { timeoutMs: this.#lockTimeoutMs }) : run()
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
