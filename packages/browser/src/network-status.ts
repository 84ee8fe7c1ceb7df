/**
 * Whether the device is online, as a small injected interface: `navigator.onLine` and the
 * window's `online` / `offline` events in browsers, a scripted one in tests.
 *
 * @module
 */

/**
 * The network's reachability as the device sees it. {@link createDeviceLogin} pauses polling
 * while `isOnline()` is false and resumes on the next `online` change.
 *
 * @example
 * ```ts
 * const network: NetworkStatus = {
 *   isOnline: () => true,
 *   subscribe: () => () => {},
 * }
 * const login = createDeviceLogin({ issuer, clientId: 'tv', network })
 * ```
 */
export interface NetworkStatus {
  /** `false` when the device knows it has no network (`navigator.onLine`). */
  isOnline(): boolean
  /** Calls `listener` with the new value on every change; returns the unsubscribe function. */
  subscribe(listener: (online: boolean) => void): () => void
}

/**
 * The browser's {@link NetworkStatus}: `navigator.onLine` and the `online` / `offline` events of
 * `window`. Outside a window (workers, Node) it always reports online and never changes.
 *
 * @example
 * ```ts
 * const network = browserNetwork()
 * const stop = network.subscribe((online) => console.log(online ? 'back online' : 'offline'))
 * ```
 */
export function browserNetwork(): NetworkStatus {
  const win = typeof window === 'undefined' ? undefined : window
  const nav = typeof navigator === 'undefined' ? undefined : navigator
  return {
    isOnline: () => nav?.onLine !== false,
    subscribe: (listener) => {
      if (!win) return () => {}
      const online = () => listener(true)
      const offline = () => listener(false)
      win.addEventListener('online', online)
      win.addEventListener('offline', offline)
      return () => {
        win.removeEventListener('online', online)
        win.removeEventListener('offline', offline)
      }
    },
  }
}
