/**
 * What every lease-based lock does while it is held: renew the lease every third of it, and
 * release when `fn` settles.
 *
 * @module
 */

/**
 * Runs `fn` while `renew` keeps the lease alive; then `release`. Failed renewals and a failed
 * release are ignored: the lease then runs out on its own.
 */
export async function holdLease<T>(
  leaseMs: number,
  renew: () => Promise<unknown>,
  release: () => Promise<unknown>,
  fn: () => Promise<T>,
): Promise<T> {
  const keepAlive = setInterval(() => {
    renew().catch(() => {})
  }, leaseMs / 3)
  // A held lock must not keep the process alive.
  keepAlive.unref()
  try {
    return await fn()
  } finally {
    clearInterval(keepAlive)
    await release().catch(() => {})
  }
}
