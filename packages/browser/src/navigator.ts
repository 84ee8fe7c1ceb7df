/**
 * The slice of the browser an SPA client touches: the address bar, history, popups, hidden
 * iframes and `postMessage`. {@link createSpaClient} takes one so its logic can run against a
 * fake window in tests; {@link browserNavigator} is the real one.
 *
 * @module
 */

/** A window opened by {@link SpaNavigator.openPopup}. */
export interface PopupHandle {
  /** Points the popup at `url` (after it was opened blank, synchronously, in the click). */
  navigate(url: string): void
  /** Whether the user (or a script) closed the popup. */
  isClosed(): boolean
  /** Closes the popup. */
  close(): void
  /** The popup's `Window`, to match `MessageEvent.source`. */
  readonly window: unknown
}

/** A hidden iframe created by {@link SpaNavigator.createHiddenFrame}. */
export interface FrameHandle {
  /** The frame's `Window`, to match `MessageEvent.source`. */
  readonly window: unknown
  /** Removes the frame from the document. */
  remove(): void
}

/** A message received by {@link SpaNavigator.onMessage}. */
export interface ReceivedMessage {
  origin: string
  source: unknown
  data: unknown
}

/** The browser environment of an SPA client (oidc-client-ts calls this INavigator). */
export interface SpaNavigator {
  /** The page's origin, e.g. `http://127.0.0.1:4001`. */
  origin(): string
  /** The address bar's current URL. */
  currentUrl(): string
  /** Full-page navigation (to the provider). */
  assign(url: string): void
  /** Replaces the current history entry's URL without navigating. */
  replaceUrl(url: string): void
  /**
   * Opens a blank popup. Must be called synchronously inside the user's click, before any
   * `await`, or browsers block it. `undefined` when the browser blocked it.
   */
  openPopup(name: string, features: string): PopupHandle | undefined
  /** Creates a hidden iframe loading `url`. */
  createHiddenFrame(url: string): FrameHandle
  /** Listens to `message` events on the page's window; returns the unsubscribe function. */
  onMessage(listener: (message: ReceivedMessage) => void): () => void
  /**
   * Per-tab storage for login transactions (sessionStorage in browsers). Its methods may throw
   * (storage blocked); callers turn that into StoreError.
   */
  readonly sessionStorage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>
}

/**
 * The real browser environment, from `window`.
 *
 * @example
 * ```ts
 * const spa = createSpaClient({ issuer, clientId, redirectUri, navigator: browserNavigator(window) })
 * ```
 */
export function browserNavigator(win: Window = window): SpaNavigator {
  return {
    origin: () => win.location.origin,
    currentUrl: () => win.location.href,
    assign: (url) => win.location.assign(url),
    replaceUrl: (url) => win.history.replaceState(win.history.state, '', url),
    openPopup(name, features) {
      const popup = win.open('about:blank', name, features)
      if (!popup) return undefined
      return {
        window: popup,
        navigate: (url) => {
          popup.location.href = url
        },
        isClosed: () => popup.closed,
        close: () => popup.close(),
      }
    },
    createHiddenFrame(url) {
      const frame = win.document.createElement('iframe')
      frame.setAttribute('aria-hidden', 'true')
      frame.setAttribute('tabindex', '-1')
      frame.title = 'openrp silent renew'
      frame.style.cssText =
        'position:absolute;width:0;height:0;border:0;visibility:hidden;left:-1000px;top:0'
      frame.src = url
      win.document.body.appendChild(frame)
      return { window: frame.contentWindow, remove: () => frame.remove() }
    },
    onMessage(listener) {
      const handler = (event: MessageEvent) =>
        listener({ origin: event.origin, source: event.source, data: event.data })
      win.addEventListener('message', handler)
      return () => win.removeEventListener('message', handler)
    },
    sessionStorage: lazySessionStorage(win),
  }
}

/**
 * `win.sessionStorage`, read at each use: where storage is blocked (cookies off, sandboxed
 * frame) reading it throws, and that must fail the call that needs it (TransactionStore turns
 * it into StoreError), not the construction of the client.
 */
function lazySessionStorage(win: Window): SpaNavigator['sessionStorage'] {
  return {
    getItem: (key) => win.sessionStorage.getItem(key),
    setItem: (key, value) => win.sessionStorage.setItem(key, value),
    removeItem: (key) => win.sessionStorage.removeItem(key),
  }
}
