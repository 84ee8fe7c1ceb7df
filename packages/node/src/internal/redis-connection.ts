/**
 * One node-redis client configured to fail fast: a dead Redis gives a StoreError within a
 * bounded time instead of queueing commands forever, and the client reconnects on its own when
 * Redis returns. Shared by RedisStore and RedisLock; not exported from the package.
 *
 * The `redis` module is loaded with a dynamic `import()` on the first command, so apps that
 * import `@openrp/node` without using Redis never pay for loading node-redis.
 *
 * @module
 */
import { InvalidArgumentError, StoreError, TimeoutError } from '@openrp/core'
import { DependencyMissingError } from '../errors.ts'
import { loadOptional } from './optional-dependency.ts'
import type { RedisClient } from './redis-client.ts'

/**
 * A Redis Cluster to create a client for: its seed nodes, e.g.
 * `['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379']` (credentials in the URLs). The client
 * learns the other nodes and the slot map from them, and follows failovers and resharding.
 */
export interface RedisClusterConnectionOptions {
  rootNodes: string[]
}

/**
 * A Sentinel-managed primary to create a client for: the name the sentinels monitor it under
 * and the sentinels' URLs. Commands always go to the current primary; after a failover the
 * client finds the promoted replica through the sentinels.
 */
export interface RedisSentinelConnectionOptions {
  /** The `sentinel monitor <name> ...` name. */
  name: string
  /** `redis://host:port` of the sentinels (not of the data nodes). */
  sentinels: string[]
  /** Credentials of the data nodes, if they need any (`redis://user:pass@...` form). */
  nodeUrl?: string
}

/**
 * How RedisStore and RedisLock reach Redis: exactly one of `url` (one server), `cluster`,
 * `sentinel`, or a `client` you made (a node-redis `createClient()`, `createCluster()` or
 * `createSentinel()` result).
 */
export interface RedisConnectionOptions {
  /** `redis://host:port` of a single server. */
  url?: string
  /** A Redis Cluster: openrp creates a node-redis cluster client from its seed nodes. */
  cluster?: RedisClusterConnectionOptions
  /** A Sentinel-managed primary: openrp creates a node-redis Sentinel client. */
  sentinel?: RedisSentinelConnectionOptions
  /**
   * A node-redis client you created and configured: `createClient()`, `createCluster()` or
   * `createSentinel()`. It is connected on first use when not yet open, and never closed by
   * openrp. Without it, openrp creates one from `url`, `cluster` or `sentinel` that fails fast
   * (offline queue off, command timeout, reconnect with capped backoff).
   */
  client?: RedisClient
  /**
   * How long one command may take, from the call to the reply (default 2000 ms); then
   * StoreError. node-redis's own timeout stops counting once a command is written, so a Redis
   * that stops answering would otherwise hang the caller. At most 2^31 - 1 (a timer's limit).
   */
  commandTimeoutMs?: number
  /** How long the first connection may take before StoreError (default 2000 ms, at most 2^31 - 1). */
  connectTimeoutMs?: number
  /**
   * Longest pause between reconnection attempts (default 1000 ms; from 25, the first pause of
   * the backoff, to 2^31 - 1).
   */
  maxReconnectDelayMs?: number
}

/**
 * Redis's server-assisted client-side caching, as RedisStore's local cache hears it: a key this
 * connection read changed (`null`: every key, e.g. FLUSHALL), or the connection that vouched
 * for the reads was lost.
 */
export interface TrackingListener {
  invalidated(redisKey: string | null): void
  connectionLost(): void
}

/** The longest wait a timer takes (about 24.8 days); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * The first pause of the reconnection backoff (it doubles from there up to maxReconnectDelayMs).
 * A smaller cap only shortens every pause: 0 or 1 ms reconnected every millisecond or so while
 * Redis refused connections (hundreds a second).
 */
const FIRST_RECONNECT_DELAY_MS = 25

/** The check's round trip: a script of no key, which RedisStore's reads already need EVAL for. */
const PING = 'return 1'

/** Connection events after which Redis no longer vouches for what this process read. */
const LOST_EVENTS = [
  'error',
  'end',
  'reconnecting',
  'node-error',
  'node-disconnect',
  'node-reconnecting',
  'client-error',
  'topology-change',
] as const

export class RedisConnection {
  readonly #options: RedisConnectionOptions
  readonly #owned: boolean
  readonly #connectTimeoutMs: number
  readonly #commandTimeoutMs: number
  #client: RedisClient | undefined
  #creating: Promise<RedisClient> | undefined
  #started = false
  /** When the cluster client was last replaced to learn a new slot map (epoch ms). */
  #rediscoveredAt = 0
  /**
   * A cluster or Sentinel client: node-redis emits no `'ready'` for these (a cluster has no
   * `isReady` at all); they are ready once `connect()` has resolved, and each node's client
   * reconnects on its own.
   */
  readonly #pooled: boolean
  #everReady = false
  /** The last connection error the client reported, given as `cause` to callers. */
  #lastError: unknown
  /** Commands sent whose reply has not come yet (also those whose callers timed out). */
  readonly #unanswered = new Set<Promise<unknown>>()
  /** One wait for the first connection, shared by every caller that arrives meanwhile. */
  #firstReady: Promise<void> | undefined
  /**
   * A socket of the single-server client is connecting (from `connect()` or `'reconnecting'`
   * until `'ready'`, `'error'` or `'end'`): node-redis's close() cannot drop it then.
   */
  #connecting = false
  /**
   * The `connect()` of a cluster or Sentinel client under way: a cluster's close() then finds
   * none of the node connections its discovery is about to open.
   */
  #pooledConnect: Promise<unknown> | undefined
  /** close() was called: commands fail at once from then on. */
  #closed = false
  /** Takes back each listener this connection added to its client. */
  readonly #listening: (() => void)[] = []

  readonly #tracking: TrackingListener | undefined

  /**
   * @param tracking When given, the client openrp creates turns on RESP3 client-side caching,
   *   and `tracking` hears of every invalidation and lost connection (a `client` of yours: only
   *   when it has `clientSideCache` configured).
   */
  constructor(options: RedisConnectionOptions, tracking?: TrackingListener) {
    this.#options = options
    this.#tracking = tracking
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 2000
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 2000
    // A timer fires a longer wait (Infinity too) after 1 ms: every command would time out. A
    // NaN or negative pause between reconnections made node-redis reconnect every ms or so.
    if (!(this.#commandTimeoutMs > 0 && this.#commandTimeoutMs <= MAX_TIMER_MS))
      throw new InvalidArgumentError(`commandTimeoutMs must be > 0 and <= ${MAX_TIMER_MS}`)
    if (!(this.#connectTimeoutMs > 0 && this.#connectTimeoutMs <= MAX_TIMER_MS))
      throw new InvalidArgumentError(`connectTimeoutMs must be > 0 and <= ${MAX_TIMER_MS}`)
    const maxDelay = options.maxReconnectDelayMs
    if (
      maxDelay !== undefined &&
      !(maxDelay >= FIRST_RECONNECT_DELAY_MS && maxDelay <= MAX_TIMER_MS)
    )
      throw new InvalidArgumentError(
        `maxReconnectDelayMs must be from ${FIRST_RECONNECT_DELAY_MS} to ${MAX_TIMER_MS}`,
      )
    const given = [options.url, options.cluster, options.sentinel, options.client].filter(
      (o) => o !== undefined,
    ).length
    if (given !== 1)
      throw new InvalidArgumentError('Give exactly one of url, cluster, sentinel or client')
    if (options.cluster && !(options.cluster.rootNodes?.length > 0))
      throw new InvalidArgumentError('cluster.rootNodes needs at least one URL')
    if (options.sentinel && !(options.sentinel.name && options.sentinel.sentinels?.length > 0))
      throw new InvalidArgumentError('sentinel needs a name and at least one sentinel URL')
    this.#owned = options.client === undefined
    const client = options.client
    this.#pooled = client
      ? !('isReady' in client) || 'getMasterNode' in client
      : options.url === undefined
    if (client) this.#adopt(client)
  }

  /**
   * One connection carries every invalidation and every reply (one server, a Sentinel's
   * primary): a reply proves the invalidations sent before it were heard. A cluster has a
   * connection per node.
   */
  get oneConnection(): boolean {
    const client = this.#options.client
    return client ? !('masters' in client) : this.#options.cluster === undefined
  }

  /**
   * A round trip on every connection that reports invalidations (each primary of a cluster),
   * within commandTimeoutMs; StoreError when one gets no answer. A client openrp made is then
   * dropped and made anew, as after a lost connection (a half-open connection never reports
   * itself lost); a client of yours is left as it is.
   */
  async check(): Promise<void> {
    let used: RedisClient | undefined
    const ping = (client: RedisClient) => client.eval(PING, { keys: [], arguments: [] })
    try {
      await this.run('check', async (client) => {
        used = client
        const cluster = client as unknown as Partial<ClusterNodes>
        if (cluster.masters && cluster.nodeClient) {
          const { masters, nodeClient } = cluster as ClusterNodes
          await Promise.all(masters.map(async (node) => ping(await nodeClient.call(client, node))))
        } else await ping(client)
      })
    } catch (error) {
      // A cluster client that failed a command is replaced by run() already.
      const cause = error instanceof StoreError ? error.cause : error
      if (used && this.#owned && !this.#options.cluster && !this.#closed && !isReplyError(cause))
        this.#replace(used)
      throw error
    }
  }

  /** Runs `fn` on a ready client; any failure (offline, timeout, reply error) is a StoreError. */
  async run<T>(what: string, fn: (client: RedisClient) => Promise<T>): Promise<T> {
    // A closed connection opens nothing again (a cluster client would be made anew).
    if (this.#closed) throw new StoreError(`Redis ${what} failed: the connection was closed`)
    const client = await this.#ready()
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(this.#commandTimeoutMs, `Redis ${what}`)),
        this.#commandTimeoutMs,
      )
    })
    try {
      const sent = fn(client)
      this.#unanswered.add(sent)
      const answered = () => this.#unanswered.delete(sent)
      sent.then(answered, answered)
      // A reply that comes after the timeout is read and dropped by the client.
      return await Promise.race([sent, timeout])
    } catch (cause) {
      if (this.#owned && this.#options.cluster && !this.#closed && !isReplyError(cause))
        this.#rediscover(client)
      throw new StoreError(`Redis ${what} failed`, { cause })
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * Closes the client if openrp created it. node-redis's `close()` waits for the reply to every
   * command sent, which a stalled Redis (or a network partition) may never give. The callers of
   * those commands stopped waiting after `commandTimeoutMs`: close() waits for them no longer
   * than that either, then drops the connection.
   */
  async close(): Promise<void> {
    this.#closed = true
    if (!this.#owned) {
      // A client of yours stays open; what this store or lock hung on it goes (a store per
      // tenant over one client kept every closed one, and its copies, alive through them).
      for (const stop of this.#listening.splice(0)) stop()
      return
    }
    const client = this.#client ?? (await this.#creating?.catch(() => undefined))
    if (!client?.isOpen) return
    // node-redis's close() drops the sockets it has, and none is kept while one connects (nor
    // a cluster's node connections while it discovers the slots): those would open after
    // close() and stay open for good. Let the attempt end first.
    if (this.#connecting) await this.#attemptOver(client)
    else if (this.#pooledConnect) await this.#within(this.#pooledConnect)
    if (this.#unanswered.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        Promise.allSettled(this.#unanswered),
        new Promise((resolve) => {
          timer = setTimeout(resolve, this.#commandTimeoutMs)
        }),
      ])
      clearTimeout(timer)
    }
    try {
      if (this.#unanswered.size > 0) client.destroy()
      else await client.close()
    } catch {
      if (client.isOpen) client.destroy()
    }
  }

  /** The client: the one given, or one created from `url` (loading `redis` on first call). */
  #getClient(): RedisClient | Promise<RedisClient> {
    if (this.#client) return this.#client
    this.#creating ??= this.#create().catch((cause: unknown) => {
      this.#creating = undefined
      throw cause
    })
    return this.#creating
  }

  /**
   * node-redis's cluster client learns a new slot map only from a MOVED reply, which a primary
   * that died never sends: after a failover it would keep sending that slot's commands to the
   * dead node. So when a command fails for want of a connection, the cluster client openrp made
   * is replaced by one seeded with every node the old one knew (and the configured root nodes),
   * which reads the current slot map. At most one replacement at a time, and at most one a
   * second.
   */
  #rediscover(failed: RedisClient): void {
    const now = Date.now()
    if (this.#client !== failed || now - this.#rediscoveredAt < 1000) return
    this.#rediscoveredAt = now
    const known = failed as unknown as {
      masters?: { address: string }[]
      replicas?: { address: string }[]
    }
    const seen = [...(known.masters ?? []), ...(known.replicas ?? [])].map(
      (node) => `redis://${node.address}`,
    )
    this.#client = undefined
    this.#everReady = false
    this.#creating = this.#create(seen).catch((cause: unknown) => {
      this.#creating = undefined
      throw cause
    })
    failed.destroy()
  }

  /**
   * Drops the single-server or Sentinel client openrp made, whose connection failed a check
   * without saying so, for a new one, connected on the next command (within connectTimeoutMs,
   * as the first connection was). Commands waiting on the old one fail with StoreError.
   * A client that is connecting anew already heard its connection end (the check failed for
   * that): it is kept, as a destroy() then would leave the socket it is opening open for good.
   */
  #replace(failed: RedisClient): void {
    if (this.#client !== failed || this.#connecting) return
    this.#client = undefined
    this.#everReady = false
    this.#started = false
    this.#connecting = false
    this.#creating = this.#create().catch((cause: unknown) => {
      this.#creating = undefined
      throw cause
    })
    try {
      failed.destroy()
    } catch {}
  }

  async #create(seenNodes: string[] = []): Promise<RedisClient> {
    let redis: typeof import('redis')
    try {
      redis = await loadOptional('redis', 'RedisStore / RedisLock', () => import('redis'))
    } catch (cause) {
      if (cause instanceof DependencyMissingError) throw cause
      throw new StoreError('Could not load the redis module', { cause })
    }
    const options = this.#options
    const maxDelay = options.maxReconnectDelayMs ?? 1000
    const node = {
      disableOfflineQueue: true,
      socket: {
        connectTimeout: this.#connectTimeoutMs,
        // node-redis's default, said here: the OS probes an idle connection and closes it when
        // the peer is gone. It takes minutes (the OS's probe intervals), and a middlebox that
        // answers the probes hides a dead path: RedisStore's local cache checks on its own.
        keepAlive: true,
        reconnectStrategy: (retries: number) =>
          Math.min(FIRST_RECONNECT_DELAY_MS * 2 ** retries, maxDelay),
      },
    }
    // Tracking needs RESP3; node-redis's cache only carries the invalidations: RedisStore reads
    // through EVAL, which node-redis never caches, and keeps its own parsed copies.
    const caching = this.#tracking ? ({ RESP: 3, clientSideCache: { maxEntries: 1 } } as const) : {}
    let client: RedisClient
    if (options.cluster) {
      client = redis.createCluster({
        rootNodes: [...new Set([...seenNodes, ...options.cluster.rootNodes])].map((url) => ({
          url: withCredentials(url, options.cluster?.rootNodes[0]),
        })),
        defaults: node,
        commandOptions: { timeout: this.#commandTimeoutMs },
        ...caching,
      }) as unknown as RedisClient
    } else if (options.sentinel) {
      client = redis.createSentinel({
        name: options.sentinel.name,
        sentinelRootNodes: options.sentinel.sentinels.map(hostAndPort),
        nodeClientOptions: { ...node, url: options.sentinel.nodeUrl },
        sentinelClientOptions: node,
        commandOptions: { timeout: this.#commandTimeoutMs },
        ...caching,
      }) as unknown as RedisClient
    } else {
      client = singleServerClient(redis, {
        url: options.url,
        commandOptions: { timeout: this.#commandTimeoutMs },
        ...node,
        ...caching,
      })
    }
    this.#adopt(client)
    return client
  }

  #adopt(client: RedisClient): void {
    this.#client = client
    const listen = (event: string, listener: (error?: unknown) => void) => {
      client.on(event, listener)
      this.#listening.push(() => client.off(event, listener))
    }
    // node-redis emits 'error' for every failed (re)connection; without a listener an
    // EventEmitter 'error' would crash the process. Failures reach callers as StoreError.
    // The last one is kept as the `cause` of the StoreError callers get (e.g. WRONGPASS).
    listen('error', (error: unknown) => {
      this.#lastError = error
    })
    listen('ready', () => {
      this.#everReady = true
      this.#lastError = undefined
    })
    if (this.#owned && !this.#pooled) {
      listen('reconnecting', () => {
        this.#connecting = true
      })
      for (const event of ['ready', 'error', 'end']) {
        listen(event, () => {
          this.#connecting = false
        })
      }
    }
    const tracking = this.#tracking
    const cache = client.clientSideCache
    if (!tracking || !cache) return
    const invalidated = (key: unknown) => {
      tracking.invalidated(key === null || key === undefined ? null : String(key))
    }
    cache.on('invalidate', invalidated)
    this.#listening.push(() => cache.off?.('invalidate', invalidated))
    for (const event of LOST_EVENTS) listen(event, () => tracking.connectionLost())
  }

  async #ready(): Promise<RedisClient> {
    const client = await this.#getClient()
    if (this.#pooled) return this.#readyPooled(client)
    if (client.isReady) return client
    if (!this.#started && !client.isOpen) {
      this.#started = true
      this.#connecting = true
      client.connect().catch((error: unknown) => {
        this.#lastError = error
      })
    }
    // After a connection was lost, or when Redis refused our credentials, fail at once (the
    // client reconnects in the background); before the first connection, give it
    // connectTimeoutMs.
    if (this.#everReady || !client.isOpen || isRefusal(this.#lastError)) {
      throw new StoreError(`Redis is not reachable (reconnecting)${this.#reason()}`, {
        cause: this.#lastError,
      })
    }
    this.#firstReady ??= this.#waitForReady(client).finally(() => {
      this.#firstReady = undefined
    })
    await this.#firstReady
    return client
  }

  /** Cluster and Sentinel: one `connect()`, bounded by connectTimeoutMs, shared by callers. */
  async #readyPooled(client: RedisClient): Promise<RedisClient> {
    if (this.#everReady && client.isOpen) return client
    this.#firstReady ??= new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new StoreError(
            `Redis did not connect within ${this.#connectTimeoutMs} ms${this.#reason()}`,
            { cause: this.#lastError },
          ),
        )
      }, this.#connectTimeoutMs)
      // A connect() that outlived an earlier caller's timeout is waited for again: the client
      // is open from its start, long before it knows a node (a cluster, its slots).
      const connecting =
        this.#pooledConnect ?? (client.isOpen ? Promise.resolve() : client.connect())
      this.#pooledConnect = connecting
      connecting.then(
        () => {
          if (this.#pooledConnect === connecting) this.#pooledConnect = undefined
          clearTimeout(timer)
          this.#everReady = true
          resolve()
        },
        (error: unknown) => {
          if (this.#pooledConnect === connecting) this.#pooledConnect = undefined
          clearTimeout(timer)
          this.#lastError = error
          reject(new StoreError(`Redis did not connect${this.#reason()}`, { cause: error }))
        },
      )
    }).finally(() => {
      this.#firstReady = undefined
    })
    await this.#firstReady
    return client
  }

  /** Resolves when `work` settles, or after the connect and command timeouts at most. */
  #within(work: Promise<unknown>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    return Promise.race([
      work.then(
        () => {},
        () => {},
      ),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#connectTimeoutMs + this.#commandTimeoutMs)
      }),
    ]).finally(() => clearTimeout(timer))
  }

  /**
   * Resolves once the connection attempt under way has ended (connected or failed), at most
   * after the connect timeout and the handshake's command timeout.
   */
  #attemptOver(client: RedisClient): Promise<void> {
    return new Promise<void>((resolve) => {
      const events = ['ready', 'error'] as const
      const over = () => {
        clearTimeout(timer)
        for (const event of events) client.off(event, over)
        resolve()
      }
      const timer = setTimeout(over, this.#connectTimeoutMs + this.#commandTimeoutMs)
      for (const event of events) client.on(event, over)
    })
  }

  #waitForReady(client: RedisClient): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer)
        client.off('ready', onReady)
        client.off('error', onError)
      }
      const timer = setTimeout(() => {
        settle()
        reject(
          new StoreError(
            `Redis did not connect within ${this.#connectTimeoutMs} ms${this.#reason()}`,
            { cause: this.#lastError },
          ),
        )
      }, this.#connectTimeoutMs)
      const onReady = () => {
        settle()
        resolve()
      }
      // Refused credentials will not get better by waiting: fail now, not at connectTimeoutMs.
      const onError = (error: unknown) => {
        if (!isRefusal(error)) return
        settle()
        reject(new StoreError(`Redis refused the connection${this.#reason()}`, { cause: error }))
      }
      client.once('ready', onReady)
      client.on('error', onError)
    })
  }

  /** `: <last error>` for messages; Redis errors carry no secrets (never the password). */
  #reason(): string {
    const error = this.#lastError
    return error instanceof Error && error.message ? `: ${error.message}` : ''
  }
}

/** What the check uses of a node-redis cluster client: its primaries and a client of each. */
interface ClusterNodes {
  masters: unknown[]
  nodeClient(node: unknown): Promise<RedisClient>
}

type RedisModule = typeof import('redis')
type SingleServerOptions = NonNullable<Parameters<RedisModule['createClient']>[0]>

/**
 * One never-connected node-redis client per module instance and protocol version, whose
 * `duplicate()` makes the clients openrp creates. `createClient()` builds a new client class
 * with every command of Redis and of its modules (and compares its whole configuration with the
 * previous call's to reuse one) each time it is called: for each RedisStore and RedisLock that
 * cost more CPU than their first commands. `duplicate(options)` makes a client of the same class
 * with the template's options (RESP, the modules `createClient()` adds, and node-redis's
 * defaults, which depend on RESP only) overridden by `options`, i.e. what `createClient(options)`
 * makes. A template opens no socket; like any client made and not closed, it stays in node-redis's
 * metrics registry (a no-op unless its OpenTelemetry metrics are turned on).
 */
const templates = new WeakMap<RedisModule, Map<number, RedisClient>>()

/** `redis.createClient(options)`, made as a duplicate of the template for `options.RESP`. */
function singleServerClient(redis: RedisModule, options: SingleServerOptions): RedisClient {
  const resp = options.RESP ?? 2
  let byResp = templates.get(redis)
  if (!byResp) {
    byResp = new Map()
    templates.set(redis, byResp)
  }
  let template = byResp.get(resp)
  if (!template) {
    template = redis.createClient({ RESP: resp as 2 | 3 })
    byResp.set(resp, template)
  }
  return (template as unknown as { duplicate(o: SingleServerOptions): RedisClient }).duplicate(
    options,
  )
}

/**
 * Redis refused the connection's credentials or rights: an error reply whose code (the first
 * word of a Redis error reply, part of its protocol) is WRONGPASS, NOAUTH or NOPERM.
 */
function isRefusal(error: unknown): boolean {
  return error instanceof Error && /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(error.message)
}

/** `redis://host:port` as node-redis Sentinel's `{ host, port }`. */
function hostAndPort(url: string): { host: string; port: number } {
  const parsed = new URL(url)
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 26379) }
}

/** A reply Redis sent (WRONGTYPE, NOSCRIPT...), as opposed to a connection that failed. */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.constructor.name === 'ErrorReply'
}

/** `url` with the user and password of `like` (root node URLs carry the credentials). */
function withCredentials(url: string, like: string | undefined): string {
  if (!like) return url
  const target = new URL(url)
  const source = new URL(like)
  if (target.username || target.password || !(source.username || source.password)) return url
  target.username = source.username
  target.password = source.password
  return target.toString()
}
