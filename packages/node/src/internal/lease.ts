/**
 * What every lease-based lock does while it is held: renew the lease every third of it, tell
 * `fn` (through its {@link LockLease}) when the lease is lost, and release when `fn` settles.
 *
 * @module
 */
import { type LockLease, LockLostError } from '@openrp/core'

/** One lease held by {@link holdLease}. */
export interface HeldLease {
  /** The lock's name, for the LockLostError message. */
  name: string
  /** Lease length in ms: the lock frees itself this long after its last renewal. */
  leaseMs: number
  /**
   * When the command that took the lock was sent (`performance.now()`, a clock that wall-clock
   * changes do not move): the lease runs from no earlier than this.
   */
  acquiredAt: number
  /**
   * Extends the lease if it is still ours: `true` when it was, `false` when another holder has
   * it or it is gone (definitively lost). Throws when it cannot tell (backend unreachable).
   */
  renew(): Promise<boolean>
  /** Gives the lock up if it is still ours. */
  release(): Promise<unknown>
}

/**
 * Runs `fn` while `lease.renew` keeps the lease alive every third of `leaseMs`; then
 * `lease.release`. `fn`'s {@link LockLease} signal aborts with a LockLostError (code
 * `LOCK_LOST`):
 *
 * - at once when a renewal finds the lease taken by another holder or gone;
 * - when a whole lease has passed since the last renewal known to have reached the backend
 *   (counted from when it was sent): the lease may have run out and another holder may have
 *   the lock, whether renewals failed, hung, or were never sent because the event loop stalled.
 *
 * After a failed renewal the next ones are still tried (a lease that is still ours keeps other
 * holders out while `fn` finishes); after a definite loss renewals stop. A failed release is
 * ignored: the lease then runs out on its own.
 */
export async function holdLease<T>(
  lease: HeldLease,
  fn: (lease: LockLease) => Promise<T>,
): Promise<T> {
  const { name, leaseMs } = lease
  const controller = new AbortController()
  let settled = false
  let renewing = false
  /** Sending time (`performance.now()`) of the latest renewal (or acquisition) confirmed. */
  let confirmedAt = lease.acquiredAt
  let lastError: unknown

  const lose = (reason: string, cause?: unknown) => {
    if (settled || controller.signal.aborted) return
    controller.abort(new LockLostError(name, reason, cause === undefined ? undefined : { cause }))
  }

  // Fires when the last confirmed renewal is a whole lease old; moved on by every confirmation.
  let watchdog: ReturnType<typeof setTimeout> | undefined
  const armWatchdog = () => {
    clearTimeout(watchdog)
    watchdog = setTimeout(
      () => {
        watchdog = undefined
        if (performance.now() - confirmedAt >= leaseMs) {
          lose(`its lease could not be renewed for ${leaseMs} ms`, lastError)
        } else {
          armWatchdog()
        }
      },
      Math.max(0, confirmedAt + leaseMs - performance.now()),
    )
    // A held lock must not keep the process alive.
    watchdog.unref()
  }

  const keepAlive = setInterval(() => {
    // A renewal still waiting for its reply (bounded by the backend's command timeout) is
    // not doubled; the watchdog covers one that never comes back.
    if (renewing || settled) return
    renewing = true
    const sentAt = performance.now()
    lease.renew().then(
      (ours) => {
        renewing = false
        if (settled) return
        if (!ours) {
          clearInterval(keepAlive)
          clearTimeout(watchdog)
          lose('its lease was taken by another holder or removed')
          return
        }
        lastError = undefined
        if (sentAt > confirmedAt) confirmedAt = sentAt
        if (!controller.signal.aborted) armWatchdog()
      },
      (error: unknown) => {
        renewing = false
        lastError = error
      },
    )
  }, leaseMs / 3)
  keepAlive.unref()
  armWatchdog()

  try {
    return await fn({ signal: controller.signal })
  } finally {
    settled = true
    clearInterval(keepAlive)
    clearTimeout(watchdog)
    await lease.release().catch(() => {})
  }
}
