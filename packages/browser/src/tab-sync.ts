/**
 * Tells the other tabs of the origin about new tokens and logout, over a BroadcastChannel.
 *
 * @module
 */
import type { TokenChangeMessage, TokenChangeNotifier } from '@openrp/core'

const TYPES = new Set<TokenChangeMessage['type']>(['login', 'refreshed', 'logout', 'expired'])

/**
 * One BroadcastChannel per session: `publish()` reaches every other tab (and worker) of the
 * origin that listens on the same `name` at once; the sending tab does not receive its own
 * messages. Messages carry only their type, never tokens: receivers re-read the store.
 *
 * It is a {@link TokenChangeNotifier}, so it can be handed to `TokenManager` (`notifier`), which
 * then publishes `login` / `refreshed` / `logout` / `expired` and, on others' messages, re-arms its
 * proactive timer and emits `refreshed`. Where BroadcastChannel is missing it does nothing.
 *
 * @example
 * ```ts
 * import { TabSync } from '@openrp/browser'
 * const sync = new TabSync('openrp:session')
 * sync.subscribe((message) => {
 *   if (message.type === 'logout') showSignedOut()
 * })
 * sync.publish({ type: 'logout' })
 * ```
 * @see https://html.spec.whatwg.org/multipage/web-messaging.html#broadcasting-to-other-browsing-contexts
 */
export class TabSync implements TokenChangeNotifier {
  declare readonly name: string // assigned by the constructor
  readonly #channel: BroadcastChannel | undefined
  readonly #listeners = new Set<(message: TokenChangeMessage) => void>()
  #closed = false

  constructor(name = 'openrp') {
    this.name = name
    this.#channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(name)
    this.#channel?.addEventListener('message', (event: MessageEvent) => {
      const message = event.data as Partial<TokenChangeMessage> | null
      if (!message || typeof message !== 'object' || !TYPES.has(message.type!)) return
      for (const listener of [...this.#listeners]) listener({ type: message.type! })
    })
  }

  /** Sends `message` to the other tabs; does nothing once closed. */
  publish(message: TokenChangeMessage): void {
    if (this.#closed || !TYPES.has(message.type)) return
    this.#channel?.postMessage({ type: message.type })
  }

  /** Calls `listener` for every message from another tab; returns the unsubscribe function. */
  subscribe(listener: (message: TokenChangeMessage) => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /**
   * Stops listening and closes the channel. Later `publish()` calls (e.g. from a refresh that
   * settles after the app closed its client) are ignored instead of throwing.
   */
  close(): void {
    this.#closed = true
    this.#listeners.clear()
    this.#channel?.close()
  }
}
