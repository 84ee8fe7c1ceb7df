/**
 * Runs `fn` while `globalThis[name]` is a subclass of itself, as @hono/node-server installs by
 * default: objects made before, or by fetch, are then no `instanceof` the global.
 */
export async function withReplacedGlobal<T>(
  name: 'Request' | 'Response',
  fn: () => Promise<T>,
): Promise<T> {
  const original = globalThis[name]
  const set = (value: unknown) =>
    Object.defineProperty(globalThis, name, { value, configurable: true, writable: true })
  set(class Replaced extends original {})
  try {
    return await fn()
  } finally {
    set(original)
  }
}
