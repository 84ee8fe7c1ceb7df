/**
 * `document.visibilityState` as a {@link VisibilityHook}, so TokenManager's proactive refresh
 * waits while the page is hidden.
 *
 * @module
 */
import type { VisibilityHook } from '@openrp/core'

/**
 * The page's visibility for `TokenManager({ proactiveRefresh: true, visibility })`: a refresh
 * that falls due while the tab is hidden runs when it becomes visible again. Outside a document
 * (workers), the page always counts as visible.
 *
 * @example
 * ```ts
 * const manager = new TokenManager({ client, store, key, proactiveRefresh: true, visibility: pageVisibility() })
 * ```
 */
export function pageVisibility(): VisibilityHook {
  const doc = typeof document === 'undefined' ? undefined : document
  return {
    isVisible: () => doc?.visibilityState !== 'hidden',
    onChange: (listener) => {
      if (!doc) return () => {}
      const handler = () => listener(doc.visibilityState !== 'hidden')
      doc.addEventListener('visibilitychange', handler)
      return () => doc.removeEventListener('visibilitychange', handler)
    },
  }
}
