/**
 * A clock that tests drive by hand: time stands still until `advance()` moves it, and timers fire
 * in due order as it passes them. Structurally a `Clock` of `@openrp/core`.
 */
export class ManualClock {
  #now: number
  #nextId = 1
  #timers = new Map<number, { at: number; fn: () => void }>()

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.#nextId++
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number)
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.size
  }

  /**
   * Moves time forward by `ms`, firing each timer that falls due, in order, and letting the
   * promise jobs each one starts settle before the next (so a chain of timers set by callbacks
   * runs as it would in real time).
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms
    await flush()
    for (;;) {
      const next = this.#due(end)
      if (!next) break
      this.#timers.delete(next[0])
      this.#now = Math.max(this.#now, next[1].at)
      next[1].fn()
      await flush()
    }
    this.#now = end
    await flush()
  }

  #due(end: number): [number, { at: number; fn: () => void }] | undefined {
    let best: [number, { at: number; fn: () => void }] | undefined
    for (const entry of this.#timers) {
      if (entry[1].at > end) continue
      if (!best || entry[1].at < best[1].at) best = entry
    }
    return best
  }
}

/** Lets pending promise jobs (and the jobs they queue) run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
