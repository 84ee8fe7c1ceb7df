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

/** How RedisStore and RedisLock reach Redis: a `url`, or a `client` you made. */
export interface RedisConnectionOptions {
  /** `redis://host:port`. Used when `client` is not given. */
  url?: string
  /**
   * A node-redis client you created and configured. It is connected on first use when not yet
   * open, and never closed by openrp. Without it, openrp creates one from `url` that fails fast
   * (offline queue off, command timeout, reconnect with capped backoff).
   */
  client?: RedisClient
  /**
   * How long one command may take, from the call to the reply (default 2000 ms); then
   * StoreError. node-redis's own timeout stops counting once a command is written, so a Redis
   * that stops answering would otherwise hang the caller.
   */
  commandTimeoutMs?: number
  /** How long the first connection may take before StoreError (default 2000 ms). */
  connectTimeoutMs?: number
  /** Longest pause between reconnection attempts (default 1000 ms). */
  maxReconnectDelayMs?: number
}

export class RedisConnection {
  readonly #options: RedisConnectionOptions
  readonly #owned: boolean
  readonly #connectTimeoutMs: number
  readonly #commandTimeoutMs: number
  #client: RedisClient | undefined
  #creating: Promise<RedisClient> | undefined
  #started = false
  #everReady = false
  /** The last connection error the client reported, given as `cause` to callers. */
  #lastError: unknown
  /** One wait for the first connection, shared by every caller that arrives meanwhile. */
  #firstReady: Promise<void> | undefined

  constructor(options: RedisConnectionOptions) {
    this.#options = options
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 2000
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 2000
    if (!(this.#commandTimeoutMs > 0 && this.#connectTimeoutMs > 0))
      throw new InvalidArgumentError('commandTimeoutMs and connectTimeoutMs must be > 0')
    if (options.client) {
      this.#owned = false
      this.#adopt(options.client)
    } else {
      if (!options.url) throw new InvalidArgumentError('A Redis url or client is required')
      this.#owned = true
    }
  }

  /** Runs `fn` on a ready client; any failure (offline, timeout, reply error) is a StoreError. */
  async run<T>(what: string, fn: (client: RedisClient) => Promise<T>): Promise<T> {
    const client = await this.#ready()
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(this.#commandTimeoutMs, `Redis ${what}`)),
        this.#commandTimeoutMs,
      )
    })
    try {
      // A reply that comes after the timeout is read and dropped by the client.
      return await Promise.race([fn(client), timeout])
    } catch (cause) {
      throw new StoreError(`Redis ${what} failed`, { cause })
    } finally {
      clearTimeout(timer)
    }
  }

  /** Closes the client if openrp created it. */
  async close(): Promise<void> {
    if (!this.#owned) return
    const client = this.#client ?? (await this.#creating?.catch(() => undefined))
    if (!client?.isOpen) return
    try {
      await client.close()
    } catch {
      client.destroy()
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

  async #create(): Promise<RedisClient> {
    let redis: typeof import('redis')
    try {
      redis = await loadOptional('redis', 'RedisStore / RedisLock', () => import('redis'))
    } catch (cause) {
      if (cause instanceof DependencyMissingError) throw cause
      throw new StoreError('Could not load the redis module', { cause })
    }
    const options = this.#options
    const maxDelay = options.maxReconnectDelayMs ?? 1000
    const client: RedisClient = redis.createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandOptions: { timeout: this.#commandTimeoutMs },
      socket: {
        connectTimeout: this.#connectTimeoutMs,
        reconnectStrategy: (retries) => Math.min(25 * 2 ** retries, maxDelay),
      },
    })
    this.#adopt(client)
    return client
  }

  #adopt(client: RedisClient): void {
    this.#client = client
    // node-redis emits 'error' for every failed (re)connection; without a listener an
    // EventEmitter 'error' would crash the process. Failures reach callers as StoreError.
    // The last one is kept as the `cause` of the StoreError callers get (e.g. WRONGPASS).
    client.on('error', (error: unknown) => {
      this.#lastError = error
    })
    client.on('ready', () => {
      this.#everReady = true
      this.#lastError = undefined
    })
  }

  async #ready(): Promise<RedisClient> {
    const client = await this.#getClient()
    if (client.isReady) return client
    if (!this.#started && !client.isOpen) {
      this.#started = true
      client.connect().catch((error: unknown) => {
        this.#lastError = error
      })
    }
    // After a connection was lost, fail at once (the client reconnects in the background);
    // before the first connection, give it connectTimeoutMs.
    if (this.#everReady || !client.isOpen) {
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

  #waitForReady(client: RedisClient): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('ready', onReady)
        reject(
          new StoreError(
            `Redis did not connect within ${this.#connectTimeoutMs} ms${this.#reason()}`,
            { cause: this.#lastError },
          ),
        )
      }, this.#connectTimeoutMs)
      const onReady = () => {
        clearTimeout(timer)
        resolve()
      }
      client.once('ready', onReady)
    })
  }

  /** `: <last error>` for messages; Redis errors carry no secrets (never the password). */
  #reason(): string {
    const error = this.#lastError
    return error instanceof Error && error.message ? `: ${error.message}` : ''
  }
}
