/**
 * One status line on a writable stream: redrawn in place on a terminal, written as plain lines
 * (only when it changes) anywhere else, so logs stay readable.
 *
 * @module
 */

/** The stream members the status line uses (`process.stdout` / `process.stderr` fit). */
export interface StatusOutput {
  /** Writes `text` as it is. */
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

export class StatusLine {
  readonly #out: StatusOutput
  readonly #tty: boolean
  #last: string | undefined
  #drawn = false

  constructor(out: StatusOutput) {
    this.#out = out
    this.#tty = out.isTTY === true
  }

  /** Whether the line is redrawn in place (a terminal). */
  get interactive(): boolean {
    return this.#tty
  }

  /**
   * Shows `text`. On a terminal it replaces the current line; elsewhere it is written only when
   * `key` (default: `text`) differs from the last one, so a ticking countdown does not flood
   * a log.
   */
  update(text: string, key: string = text): void {
    if (this.#tty) {
      const width = this.#out.columns ?? 0
      const shown = width > 1 && text.length >= width ? `${text.slice(0, width - 2)}…` : text
      this.#out.write(`\r\x1b[2K${shown}`)
      this.#drawn = true
      return
    }
    if (key === this.#last) return
    this.#last = key
    this.#out.write(`${text}\n`)
  }

  /** Writes a final line and leaves the cursor on a fresh line. */
  finish(text: string): void {
    if (this.#tty && this.#drawn) this.#out.write('\r\x1b[2K')
    this.#drawn = false
    this.#last = undefined
    this.#out.write(`${text}\n`)
  }

  /** Ends a line drawn in place, without new text. */
  release(): void {
    if (this.#tty && this.#drawn) this.#out.write('\n')
    this.#drawn = false
  }
}
