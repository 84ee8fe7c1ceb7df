/**
 * A `fetch` for tests that move a ManualClock while real HTTP runs. Each answer is read whole
 * before it is handed over, so once a request resolves none of its I/O is left: what the client
 * does with the answer is promise jobs only, which `flush()` runs. `settled()` thus tells when
 * the client has done everything the answers so far asked for (a poll's next sleep is on the
 * clock), and a test moves the clock only then, instead of sleeping for the round trip.
 */
import { flush } from '@openrp/testkit'

/** Statuses whose Response may carry no body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

export class Wire {
  #inFlight = 0
  #idle: Array<() => void> = []

  /** The fetch to give the client. */
  readonly fetch: typeof fetch = async (input, init) => {
    this.#inFlight++
    try {
      const response = await globalThis.fetch(input, init)
      const body = await response.arrayBuffer()
      return new Response(NULL_BODY.has(response.status) ? null : body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      })
    } finally {
      this.#inFlight--
      if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
    }
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.#inFlight
  }

  /**
   * Resolves once no request is on the wire and the promise jobs the answers started have run
   * (again while those send more requests).
   */
  async settled(): Promise<void> {
    for (;;) {
      await flush()
      if (this.#inFlight === 0) return
      await new Promise<void>((resolve) => this.#idle.push(resolve))
    }
  }
}
