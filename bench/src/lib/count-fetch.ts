/**
 * Counts this process's fetch() calls per URL origin + path (query dropped). Import it before
 * any library under test so calls through globalThis.fetch are seen even when a connection
 * later fails: a request a library attempted counts, whether or not it reached the server.
 */
const counts = new Map<string, number>()
const original = globalThis.fetch

globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
  const key = `${url.origin}${url.pathname}`
  counts.set(key, (counts.get(key) ?? 0) + 1)
  return original(input, init)
}) as typeof fetch

/** fetch() calls so far whose origin + path is `url` (without query). */
export function fetchCalls(url: string): number {
  return counts.get(url) ?? 0
}
