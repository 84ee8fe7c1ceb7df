/**
 * A scripted SpaNavigator for unit tests of the SPA plumbing's own logic (timeouts, origin
 * checks, cleanup). Protocol behaviour is tested in real Chromium against the reference server
 * (e2e/), never with this.
 */
import type { FrameHandle, PopupHandle, ReceivedMessage, SpaNavigator } from '../src/navigator.ts'

export class MemoryStorage {
  readonly items = new Map<string, string>()
  /** Makes setItem throw, as a full (or blocked) sessionStorage does. */
  refuseWrites = false
  getItem(key: string): string | null {
    return this.items.get(key) ?? null
  }
  setItem(key: string, value: string): void {
    if (this.refuseWrites)
      throw new DOMException('the quota has been exceeded', 'QuotaExceededError')
    this.items.set(key, value)
  }
  removeItem(key: string): void {
    this.items.delete(key)
  }
}

export class ScriptedNavigator implements SpaNavigator {
  url = 'http://127.0.0.1:4001/'
  readonly sessionStorage = new MemoryStorage()
  readonly listeners = new Set<(message: ReceivedMessage) => void>()
  readonly assigned: string[] = []
  readonly frames: { url: string; window: object; removed: boolean }[] = []
  popup: { window: object; url?: string; closed: boolean } | undefined
  /** Window names given to openPopup, in order. */
  readonly popupNames: string[] = []
  blockPopups = false
  /** Called whenever a popup is navigated or a frame created (see `until`). */
  readonly #changed = new Set<() => void>()

  /**
   * Resolves with what `read` gives once it is defined: now, or after a popup navigation or a
   * new frame makes it so. Waits for the event itself, not for time.
   */
  until<T>(read: () => T | undefined): Promise<T> {
    return new Promise((resolve) => {
      const check = () => {
        const value = read()
        if (value === undefined) return false
        this.#changed.delete(onChange)
        resolve(value)
        return true
      }
      const onChange = () => {
        check()
      }
      if (!check()) this.#changed.add(onChange)
    })
  }

  /** The URL the current popup is sent to, once it is. */
  popupNavigated(): Promise<string> {
    return this.until(() => this.popup?.url)
  }

  /** The `count`th hidden frame (default the first), once it is created. */
  frameCreated(count = 1): Promise<{ url: string; window: object; removed: boolean }> {
    return this.until(() => this.frames[count - 1])
  }

  #notify(): void {
    for (const listener of [...this.#changed]) listener()
  }

  origin(): string {
    return new URL(this.url).origin
  }
  currentUrl(): string {
    return this.url
  }
  assign(url: string): void {
    this.assigned.push(url)
  }
  replaceUrl(url: string): void {
    const next = new URL(url, this.url)
    // As history.replaceState: a URL of another origin is refused.
    if (next.origin !== this.origin()) throw new DOMException('another origin', 'SecurityError')
    this.url = next.toString()
  }
  openPopup(name: string): PopupHandle | undefined {
    if (this.blockPopups) return undefined
    this.popupNames.push(name)
    const popup = { window: {}, closed: false } as { window: object; url?: string; closed: boolean }
    this.popup = popup
    return {
      window: popup.window,
      navigate: (url) => {
        popup.url = url
        this.#notify()
      },
      isClosed: () => popup.closed,
      close: () => {
        popup.closed = true
      },
    }
  }
  createHiddenFrame(url: string): FrameHandle {
    const frame = { url, window: {}, removed: false }
    this.frames.push(frame)
    this.#notify()
    return {
      window: frame.window,
      remove: () => {
        frame.removed = true
      },
    }
  }
  onMessage(listener: (message: ReceivedMessage) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
  post(message: ReceivedMessage): void {
    for (const listener of [...this.listeners]) listener(message)
  }
}
