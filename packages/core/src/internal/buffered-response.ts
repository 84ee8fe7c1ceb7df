/**
 * A Response whose body is already in memory. openrp reads every body itself (to cap its
 * size), then hands oauth4webapi and the caller this object: `json()`, `text()`,
 * `arrayBuffer()` and `bytes()` are served from the bytes, with no second stream (a plain
 * `new Response(bytes).json()` costs Node's fetch about 0.2 ms, as much as the rest of a token
 * response's processing). Whatever else a caller asks of it (`body`, `blob()`, `formData()`) is
 * answered by a real Response over the same bytes, made on first use. It only serves the
 * standard Response interface: nothing in openrp reads a body through anything else.
 *
 * The class is defined on first use: touching the global `Response` at import time would make
 * Node load its fetch implementation in every process that imports openrp.
 *
 * @module
 */

const utf8 = new TextDecoder()

/** Statuses whose Response must have a null body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** A Response served from bytes in memory: the extra method openrp uses. */
export interface BufferedResponse extends Response {
  /**
   * The body as text, without consuming it (also after it was consumed): the refresh token of a
   * 200 that failed its checks is kept from it.
   */
  peekText(): string
}

function defineBufferedResponse() {
  class BufferedResponse extends Response {
    readonly #bytes: Uint8Array
    readonly #from: Response
    readonly #url: string
    #used = false
    #real: Response | undefined

    /** `from` gives status, headers and url; its own body must already have been read. */
    constructor(bytes: Uint8Array, from: Response, url: string) {
      super(null)
      this.#bytes = bytes
      this.#from = from
      this.#url = from.url || url
    }

    override get status(): number {
      return this.#from.status
    }
    override get statusText(): string {
      return this.#from.statusText
    }
    override get ok(): boolean {
      return this.#from.ok
    }
    override get headers(): Headers {
      return this.#from.headers
    }
    override get url(): string {
      return this.#url
    }
    override get redirected(): boolean {
      return this.#from.redirected
    }
    override get type(): ResponseType {
      return this.#from.type
    }
    override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
      return this.#delegate().body
    }
    override get bodyUsed(): boolean {
      return this.#used || (this.#real?.bodyUsed ?? false)
    }

    // biome-ignore lint/suspicious/noExplicitAny: the signature of Response.json()
    override json(): Promise<any> {
      if (this.#real) return this.#real.json()
      return this.#read((bytes) => JSON.parse(utf8.decode(bytes)))
    }
    override text(): Promise<string> {
      return this.#real ? this.#real.text() : this.#read((bytes) => utf8.decode(bytes))
    }
    override arrayBuffer(): Promise<ArrayBuffer> {
      return this.#real ? this.#real.arrayBuffer() : this.#read((bytes) => bytes.slice().buffer)
    }
    override bytes(): Promise<Uint8Array<ArrayBuffer>> {
      return this.#real ? this.#real.bytes() : this.#read((bytes) => bytes.slice())
    }
    override blob(): Promise<Blob> {
      return this.#delegate().blob()
    }
    override formData(): Promise<FormData> {
      return this.#delegate().formData()
    }
    override clone(): Response {
      if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.')
      return new BufferedResponse(this.#bytes, this.#from, this.#url)
    }

    peekText(): string {
      return utf8.decode(this.#bytes)
    }

    async #read<T>(parse: (bytes: Uint8Array) => T): Promise<T> {
      if (this.#used) throw new TypeError('Body is unusable: Body has already been read')
      this.#used = true
      return parse(this.#bytes)
    }

    /** A real Response for what is not served from memory; reads go through it from then on. */
    #delegate(): Response {
      if (this.#real) return this.#real
      const init = { status: this.status, statusText: this.statusText, headers: this.headers }
      if (this.#used) {
        // Like a Response whose body was read: the stream is disturbed, reads fail.
        this.#real = new Response(NULL_BODY.has(this.status) ? null : '', init)
        void this.#real.arrayBuffer()
      } else {
        this.#real = new Response(NULL_BODY.has(this.status) ? null : this.#bytes.slice(), init)
      }
      return this.#real
    }
  }
  return BufferedResponse
}

let BufferedResponseClass: ReturnType<typeof defineBufferedResponse> | undefined

/** A Response served from `bytes`, with the status, headers and url of `from`. */
export function bufferedResponse(bytes: Uint8Array, from: Response, url: string): Response {
  BufferedResponseClass ??= defineBufferedResponse()
  return new BufferedResponseClass(bytes, from, url)
}

/** Whether `response` is one of {@link bufferedResponse}'s. */
export function isBufferedResponse(response: unknown): response is BufferedResponse {
  return BufferedResponseClass !== undefined && response instanceof BufferedResponseClass
}
