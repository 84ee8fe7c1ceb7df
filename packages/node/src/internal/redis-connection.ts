/**
 * One node-redis client configured to fail fast: a dead Redis gives a StoreError within a
 * bounded time instead of queueing commands forever, and the client reconnects on its own when
 * Redis returns. Shared by RedisStore and RedisLock; not exported from the package.
 *
 * @module
 */
import { InvalidArgumentError, StoreError } from '@openrp/core'
import { createClient } from 'redis'

/** A node-redis v5 client (`createClient()` result). */
export type RedisClient = ReturnType<typeof createClient>

export interface RedisConnectionOptions {
  /** `redis://host:port`. Used when `client` is not given. */
  url?: string
  /**
   * A node-redis client you created and configured. It is connected on first use when not yet
   * open, and never closed by openrp. Without it, openrp creates one from `url` that fails fast
   * (offline queue off, command timeout, reconnect with capped backoff).
   */
  client?: RedisClient
  /** Per-command timeout of the client openrp creates (default 2000 ms). */
  commandTimeoutMs?: number
  /** How long the first connection may take before StoreError (default 2000 ms). */
  connectTimeoutMs?: number
  /** Longest pause between reconnection attempts (default 1000 ms). */
  maxReconnectDelayMs?: number
}

export class RedisConnection {
  readonly client: RedisClient
  readonly #owned: boolean
  readonly #connectTimeoutMs: number
  #started = false
  #everReady = false

  constructor(options: RedisConnectionOptions) {
    const connectTimeoutMs = options.connectTimeoutMs ?? 2000
    this.#connectTimeoutMs = connectTimeoutMs
    if (options.client) {
      this.client = options.client
      this.#owned = false
    } else {
      if (!options.url) throw new InvalidArgumentError('A Redis url or client is required')
      const maxDelay = options.maxReconnectDelayMs ?? 1000
      this.client = createClient({
        url: options.url,
        disableOfflineQueue: true,
        commandOptions: { timeout: options.commandTimeoutMs ?? 2000 },
        socket: {
          connectTimeout: connectTimeoutMs,
          reconnectStrategy: (retries) => Math.min(25 * 2 ** retries, maxDelay),
        },
      })
      this.#owned = true
    }
    // node-redis emits 'error' for every failed (re)connection; without a listener an
    // EventEmitter 'error' would crash the process. Failures reach callers as StoreError.
    this.client.on('error', () => {})
    this.client.on('ready', () => {
      this.#everReady = true
    })
  }

  /** Runs `fn` on a ready client; any failure (offline, timeout, reply error) is a StoreError. */
  async run<T>(what: string, fn: (client: RedisClient) => Promise<T>): Promise<T> {
    await this.#ready()
    try {
      return await fn(this.client)
    } catch (cause) {
      throw new StoreError(`Redis ${what} failed`, { cause })
    }
  }

  /** Closes the client if openrp created it. */
  async close(): Promise<void> {
    if (!this.#owned || !this.client.isOpen) return
    try {
      await this.client.close()
    } catch {
      this.client.destroy()
    }
  }

  async #ready(): Promise<void> {
    if (this.client.isReady) return
    if (!this.#started && !this.client.isOpen) {
      this.#started = true
      this.client.connect().catch(() => {})
    }
    // After a connection was lost, fail at once (the client reconnects in the background);
    // before the first connection, give it connectTimeoutMs.
    if (this.#everReady || !this.client.isOpen) {
      throw new StoreError('Redis is not reachable (reconnecting)')
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady)
        reject(new StoreError(`Redis did not connect within ${this.#connectTimeoutMs} ms`))
      }, this.#connectTimeoutMs)
      const onReady = () => {
        clearTimeout(timer)
        resolve()
      }
      this.client.once('ready', onReady)
    })
  }
}
