/**
 * The `hold` fault: requests to an endpoint wait, at a chosen stage, until the test releases
 * them. Race tests use it to put the server exactly where the race happens (the provider has
 * processed a refresh but its answer has not left yet) instead of hoping a delay lands there.
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from './http.ts'
import { endpointOf } from './request-log.ts'
import type { EndpointName, Hold, HoldOptions } from './types.ts'

interface Waiter {
  count: number
  resolve: () => void
}

/** One active hold: the requests it caught and the tests waiting for them. */
class HoldGate implements Hold {
  readonly options: Required<Pick<HoldOptions, 'endpoint' | 'stage'>> & HoldOptions
  #total = 0
  #held: (() => void)[] = []
  #waiters: Waiter[] = []
  #released = false
  readonly #onEnd: () => void

  constructor(options: HoldOptions, onEnd: () => void) {
    this.options = { ...options, stage: options.stage ?? 'response' }
    this.#onEnd = onEnd
  }

  get held(): number {
    return this.#held.length
  }

  get total(): number {
    return this.#total
  }

  get active(): boolean {
    return !this.#released
  }

  /** True when this hold takes the request (and counts it). */
  takes(endpoint: string, grantType: string | undefined, stage: 'request' | 'response'): boolean {
    const o = this.options
    if (this.#released || o.endpoint !== endpoint || o.stage !== stage) return false
    if (o.grantType !== undefined && o.grantType !== grantType) return false
    return o.times === undefined || this.#total < o.times
  }

  /** Holds one request until it is released. */
  catch(): Promise<void> {
    this.#total += 1
    const released = new Promise<void>((resolve) => this.#held.push(resolve))
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#total < w.count) return true
      w.resolve()
      return false
    })
    return released
  }

  waitUntilHeld(count = 1, options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#total >= count) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { count, resolve }
      this.#waiters.push(waiter)
      if (options.timeoutMs === undefined) return
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        reject(
          new Error(
            `hold on ${this.options.endpoint}: ${this.#total} of ${count} requests held after ${options.timeoutMs} ms`,
          ),
        )
      }, options.timeoutMs)
      waiter.resolve = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  releaseNext(): boolean {
    const next = this.#held.shift()
    next?.()
    return next !== undefined
  }

  release(): void {
    this.#released = true
    for (const next of this.#held.splice(0)) next()
    this.#onEnd()
  }
}

/** The active holds of a server. */
export class HoldRegistry {
  #gates = new Set<HoldGate>()

  add(options: HoldOptions): Hold {
    const gate = new HoldGate(options, () => this.#gates.delete(gate))
    this.#gates.add(gate)
    return gate
  }

  /** The first active hold that takes this request at this stage. */
  find(
    endpoint: string,
    grantType: string | undefined,
    stage: 'request' | 'response',
  ): HoldGate | undefined {
    for (const gate of this.#gates) if (gate.takes(endpoint, grantType, stage)) return gate
    return undefined
  }

  /** True when some hold watches `endpoint` (so the form is worth parsing for its grant type). */
  watches(endpoint: string): boolean {
    for (const gate of this.#gates) if (gate.options.endpoint === endpoint) return true
    return false
  }

  /** Releases every held request and ends every hold (resetFaults, close). */
  releaseAll(): void {
    for (const gate of [...this.#gates]) gate.release()
  }
}

async function grantTypeOf(
  c: Parameters<MiddlewareHandler<AppEnv>>[0],
): Promise<string | undefined> {
  const known = c.get('log').grantType
  if (known !== undefined) return known
  if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded'))
    return undefined
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
  return typeof form.grant_type === 'string' ? form.grant_type : undefined
}

/** Holds matching requests before the handler runs (`request`) or before the answer leaves (`response`). */
export function holdRequests(holds: HoldRegistry): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const endpoint = endpointOf(new URL(c.req.url).pathname)
    if (!holds.watches(endpoint)) return next()
    const before = holds.find(endpoint, await grantTypeOf(c), 'request')
    if (before) await before.catch()
    await next()
    if (!holds.watches(endpoint)) return
    const after = holds.find(endpoint as EndpointName, await grantTypeOf(c), 'response')
    if (after) await after.catch()
  }
}
