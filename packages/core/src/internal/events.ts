/**
 * A tiny typed event emitter for the stateful layers (TokenManager here, SpaClient in
 * @openrp/browser). Exported so the layers above share it; each class exposes its own `on()`.
 *
 * @module
 */

/** Removes the listener it was returned for. Calling it twice is harmless. */
export type Unsubscribe = () => void

/**
 * Listeners per event name. A listener that throws does not stop the others or the emitter:
 * its exception is re-thrown asynchronously so it surfaces as an uncaught error, as it would
 * with any event source, instead of being swallowed.
 */
export class Emitter<Events extends object, Info = undefined> {
  readonly #listeners = new Map<keyof Events, Set<(payload: never, info: Info) => void>>()

  /** Calls `listener` on every `event` (with the payload and what the event says about itself); returns a function that removes it. */
  on<K extends keyof Events>(
    event: K,
    listener: (payload: Events[K], info: Info) => void,
  ): Unsubscribe {
    let set = this.#listeners.get(event)
    if (!set) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    // Wrap so the same function can be subscribed twice and removed independently.
    const entry = (payload: never, info: Info) => listener(payload, info)
    set.add(entry)
    return () => {
      set.delete(entry)
    }
  }

  /** Calls the listeners of `event` with `payload` and `info` (what the event says about itself). */
  emit<K extends keyof Events>(event: K, payload: Events[K], info?: Info): void {
    const set = this.#listeners.get(event)
    if (!set) return
    for (const listener of [...set]) {
      try {
        ;(listener as (payload: Events[K], info: Info | undefined) => void)(payload, info)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0
  }
}
