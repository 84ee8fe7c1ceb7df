/**
 * A {@link Store} on Redis, shared by every process of a fleet.
 *
 * @module
 */
import {
  type Clock,
  InvalidArgumentError,
  type Store,
  type StoreGetOptions,
  type StoreSetOptions,
  systemClock,
} from '@openrp/core'
import { parseStoredJson, toStoredJson, ttlSecToMs } from '@openrp/core/adapters'
import type { RedisClient } from './internal/redis-client.ts'
import { RedisConnection, type RedisConnectionOptions } from './internal/redis-connection.ts'
import { type LocalCacheStats, RedisLocalCache } from './internal/redis-local-cache.ts'

/**
 * Writes ARGV[2] under KEYS[1] only if it holds ARGV[1] (ARGV[3] = '1': only if it holds
 * nothing); ARGV[4], when not empty, is a PX expiry. 1 if written, 0 if not.
 */
const COMPARE_AND_SET = `local current = redis.call('get', KEYS[1])
if ARGV[3] == '1' then
  if current then return 0 end
elseif current ~= ARGV[1] then return 0 end
if ARGV[4] ~= '' then redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[4])
else redis.call('set', KEYS[1], ARGV[2]) end
return 1`

/** GET and PTTL of KEYS[1] in one step: `{}` when the key does not exist. */
const READ = `local value = redis.call('get', KEYS[1])
if not value then return {} end
return {value, redis.call('pttl', KEYS[1])}`

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Prepended to every key (default `openrp:`), so the store can share a Redis database. */
  prefix?: string
  /**
   * Keep what this process read in memory and answer later reads of it without a round trip,
   * for as long as Redis vouches for it (default `true` when openrp creates the client).
   *
   * It is Redis's own server-assisted client-side caching (RESP3 `CLIENT TRACKING`, through
   * node-redis's `clientSideCache`): Redis tells this process the moment a key it read changes
   * anywhere in the fleet (a refresh, a logout, a session ended, an expiry), and the copy is
   * dropped. A lost connection drops every copy until Redis is read again, so a member never
   * serves a value it could have missed a change of. A connection that breaks without a word
   * (half-open) is caught by a check: see `localCacheCheckMs`. Needs Redis 6 or newer; `false`
   * turns it off. With a `client` of your own it is on only when that client has
   * `clientSideCache` configured (and RESP 3).
   */
  localCache?: boolean
  /**
   * Longest time, in ms on `clock`, the local cache serves copies without its connection having
   * proved that it still delivers Redis's reports (default 2000; more than 0, at most
   * 2^31 - 1).
   *
   * A connection can break without a word: Redis's host or a NAT / firewall on the way gone,
   * the socket still open. Nothing is sent while reads are answered locally, so nothing would
   * notice for minutes (TCP keepalive, on for the sockets openrp opens, takes that long and
   * never sees a middlebox that answers its probes), and the copies would be served while
   * another member rotated a refresh token or ended the session. Redis sends a connection its
   * reports in line with its replies, so each reply of this store's own commands (a read, a
   * write) proves that every change before that command was heard. When the last proof is half
   * this old, the next read sends a check (a one-line `EVAL`, to every primary of a cluster) and
   * is answered from its copy meanwhile; once it is this old, reads wait for the check (at most
   * `commandTimeoutMs`) before any copy is served. A check that fails or gets no answer drops
   * every copy, and a connection openrp made is dropped and made anew, as after a disconnect
   * (a `client` of yours is left as it is); the read then goes to Redis. A process that reads
   * more often than every half of it never waits for a check; no timer runs.
   */
  localCacheCheckMs?: number
  /**
   * Most keys kept in the local cache (default 10 000; least recently used go first): a whole
   * number (or `Infinity`); 0 keeps none, like `localCache: false`.
   */
  localCacheMaxEntries?: number
  /**
   * Where time comes from (default: the system clock): a local copy is served only until the
   * key's TTL (as Redis reported it when read) has passed on this clock. The key's expiry in
   * Redis (`PX`) is Redis's own time and does not follow it. Tests pass a manual clock.
   *
   * @example
   * ```ts
   * import { systemClock } from '@openrp/core'
   * const store = new RedisStore({ url: 'redis://127.0.0.1:6379', clock: systemClock })
   * ```
   */
  clock?: Clock
}

/**
 * Keeps JSON values in Redis (node-redis v5) under `prefix + key`; `ttlSec` becomes a `PX`
 * expiry so Redis drops a token when it expires. One server (`url`), a Redis Cluster
 * (`cluster`), a Sentinel-managed primary (`sentinel`) or a node-redis client of yours
 * (`client`).
 *
 * Built to fail fast: when Redis is down, calls reject with `StoreError` (code `STORE_ERROR`)
 * within the connect / command timeout instead of hanging, and the client reconnects by itself
 * when Redis returns. A value that is not JSON gives a `StoreError` on `get`.
 *
 * Reads are served from a local copy while Redis vouches for it (see `localCache`), so the hot
 * path of a TokenManager or ClientCredentialsProvider makes no round trip while its token is
 * valid; a connection that broke without a word is caught by a check of it, so copies are never
 * served longer than `localCacheCheckMs` after it last answered. Values read are **frozen**
 * (deeply), as MemoryStore's are, with or without the local cache: copy one to edit it.
 *
 * `compareAndSet` is atomic in Redis (one Lua script on one key, so it holds on a cluster too).
 *
 * Call `close()` when done, or the open connection keeps the process alive.
 *
 * @example
 * ```ts
 * import { RedisLock, RedisStore, ClientCredentialsProvider } from '@openrp/node'
 * const store = new RedisStore({ url: 'redis://127.0.0.1:6379', prefix: 'billing:' })
 * const lock = new RedisLock({ url: 'redis://127.0.0.1:6379', prefix: 'billing:lock:' })
 * const tokens = new ClientCredentialsProvider({ client, store, lock })
 * ```
 * @example A Redis Cluster, or a primary behind Sentinel
 * ```ts
 * const store = new RedisStore({ cluster: { rootNodes: ['redis://10.0.0.1:6379'] } })
 * const lock = new RedisLock({ sentinel: { name: 'tokens', sentinels: ['redis://10.0.0.9:26379'] } })
 * ```
 */
export class RedisStore implements Store {
  readonly prefix: string
  readonly #connection: RedisConnection
  readonly #cache: RedisLocalCache | undefined
  /** The check of the connection under way, shared by the reads that wait for it. */
  #checking: Promise<void> | undefined

  constructor(options: RedisStoreOptions) {
    // A client of yours vouches for nothing unless it hears Redis's invalidations: a copy
    // without them would be served after another member changed the key.
    const hearsInvalidations =
      options.client === undefined || options.client.clientSideCache !== undefined
    const maxEntries = options.localCacheMaxEntries ?? 10_000
    // NaN bounded nothing (`size >= NaN` never holds), 0 kept one copy.
    if (
      !(
        (Number.isInteger(maxEntries) || maxEntries === Number.POSITIVE_INFINITY) &&
        maxEntries >= 0
      )
    )
      throw new InvalidArgumentError('localCacheMaxEntries must be a whole number, 0 or more')
    const checkMs = options.localCacheCheckMs ?? 2000
    // 0 or less would check before every read (no cache at all); NaN would never serve a copy.
    if (!(checkMs > 0 && checkMs <= 2 ** 31 - 1))
      throw new InvalidArgumentError('localCacheCheckMs must be > 0 and <= 2^31 - 1')
    const localCache = (options.localCache ?? true) && hearsInvalidations && maxEntries > 0
    const prefix = options.prefix ?? 'openrp:'
    this.prefix = prefix
    const cache = localCache
      ? new RedisLocalCache(maxEntries, options.clock ?? systemClock, checkMs)
      : undefined
    this.#cache = cache
    this.#connection = new RedisConnection(
      options,
      cache && {
        invalidated(redisKey) {
          if (redisKey === null) cache.distrust()
          else if (redisKey.startsWith(prefix)) cache.forget(redisKey.slice(prefix.length))
        },
        connectionLost: () => cache.distrust(),
      },
    )
  }

  /**
   * The value under `key`: the local copy while Redis vouches for it, unless `fresh` asks for
   * Redis itself (then the copy is replaced by what Redis holds).
   */
  async get<T = unknown>(key: string, options?: StoreGetOptions): Promise<T | undefined> {
    const cache = this.#cache
    if (!cache) {
      const text = await this.#connection.run('GET', (c) => c.get(this.prefix + key))
      // Frozen as the cached copies are: what a caller may do with a value read does not
      // depend on whether the cache is on (which a client of yours decides).
      return text === null || text === undefined
        ? undefined
        : parseStoredJson<T>(String(text), 'RedisStore', { frozen: true })
    }
    if (!options?.fresh) {
      // The hot path: one clock read and a comparison, unless a check is due.
      const now = cache.now()
      const due = cache.checkDue(now)
      if (due !== 'no') {
        const check = this.#check(cache)
        if (due === 'now') await check
      }
      // After waiting for a check, the clock is read again.
      const hit = cache.read(key, due === 'now' ? undefined : now)
      if (hit) return hit.value as T
    }
    const read = cache.begin(key)
    try {
      const reply = (await this.#run('GET', (c) =>
        c.eval(READ, { keys: [this.prefix + key], arguments: [] }),
      )) as [unknown, unknown] | []
      const value =
        reply.length === 0
          ? undefined
          : parseStoredJson<T>(String(reply[0]), 'RedisStore', { frozen: true })
      const pttl = Number(reply[1])
      cache.keep(read, value, pttl >= 0 ? pttl : undefined)
      return value
    } finally {
      cache.end(read)
    }
  }

  async set(key: string, value: unknown, options: StoreSetOptions = {}): Promise<void> {
    const text = toStoredJson(value)
    const ttlMs = ttlSecToMs(options.ttlSec)
    this.#cache?.forget(key)
    await this.#run('SET', (c) =>
      ttlMs === undefined
        ? c.set(this.prefix + key, text)
        : c.set(this.prefix + key, text, { expiration: { type: 'PX', value: pxOf(ttlMs) } }),
    )
  }

  async compareAndSet(
    key: string,
    expected: unknown,
    value: unknown,
    options: StoreSetOptions = {},
  ): Promise<boolean> {
    const text = toStoredJson(value)
    const ttlMs = ttlSecToMs(options.ttlSec)
    this.#cache?.forget(key)
    const written = await this.#run('compare-and-set', (c: RedisClient) =>
      c.eval(COMPARE_AND_SET, {
        keys: [this.prefix + key],
        arguments: [
          expected === undefined ? '' : toStoredJson(expected),
          text,
          expected === undefined ? '1' : '0',
          ttlMs === undefined ? '' : String(pxOf(ttlMs)),
        ],
      }),
    )
    return written === 1
  }

  async delete(key: string): Promise<void> {
    this.#cache?.forget(key)
    await this.#run('DEL', (c) => c.del(this.prefix + key))
  }

  /**
   * Runs a command. With the local cache on one connection, its reply confirms the copies: every
   * invalidation Redis sent before the command has been heard (see `localCacheCheckMs`).
   */
  async #run<T>(what: string, fn: (client: RedisClient) => Promise<T>): Promise<T> {
    const mark = this.#cache?.mark()
    const reply = await this.#connection.run(what, fn)
    if (mark && this.#connection.oneConnection) this.#cache?.confirm(mark)
    return reply
  }

  /**
   * One check of the connection at a time (see `localCacheCheckMs`): confirms the copies when
   * every connection answers, drops them when one does not. Never rejects.
   */
  #check(cache: RedisLocalCache): Promise<void> {
    this.#checking ??= (async () => {
      const mark = cache.mark()
      try {
        await this.#connection.check()
        cache.confirm(mark)
      } catch {
        cache.distrust()
      } finally {
        this.#checking = undefined
      }
    })()
    return this.#checking
  }

  /** What the local cache did: reads answered locally, reads that went to Redis, drops. */
  get localCacheStats(): LocalCacheStats | undefined {
    return this.#cache?.stats()
  }

  /**
   * Closes the Redis connection this store opened, once a connection being made is made; a
   * `client` you passed in stays open, and the store stops listening to it. Calls after it fail
   * with `STORE_ERROR`.
   */
  close(): Promise<void> {
    return this.#connection.close()
  }
}

function pxOf(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs))
}
