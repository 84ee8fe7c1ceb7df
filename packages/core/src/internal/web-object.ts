/**
 * `instanceof` for fetch's classes that survives a replaced global: servers such as
 * @hono/node-server swap `globalThis.Request` / `Response` for their own classes, so objects
 * made before (or by fetch itself) are no instances of the current global. oauth4webapi checks
 * the same way.
 *
 * @module
 */

/** Whether `value` is a `Request` / `Response`, of the current global or another one. */
export function isWebObject<N extends 'Request' | 'Response'>(
  value: unknown,
  name: N,
): value is N extends 'Request' ? Request : Response {
  if (typeof value !== 'object' || value === null) return false
  const current = (globalThis as Record<string, unknown>)[name]
  if (typeof current === 'function' && value instanceof current) return true
  return (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === name
}
