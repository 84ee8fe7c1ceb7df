/**
 * What every lease-based lock does while it is held: renew the lease every third of it, tell
 * `fn` (through its {@link LockLease}) when the lease is lost, and release when `fn` settles.
 *
 * @module
 */
import {
  type Clock,
  InvalidArgumentError,
  type LockLease,
  LockLostError,
  systemClock,
  type TimerHandle,
} from '@openrp/core'

/** The longest timer Node keeps (about 24.8 days); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * A lock's `leaseMs` (default 15000): whole milliseconds (Redis's `PX` takes nothing else), at
 * least 100, and no longer than a timer can wait. A longer lease (`Infinity` for "never
 * expires") made the renewal and watchdog timers overflow and fire every millisecond.
 */
export function leaseMsOf(value: number | undefined): number {
  const leaseMs = value ?? 15_000
  if (!(Number.isInteger(leaseMs) && leaseMs >= 100 && leaseMs <= MAX_TIMER_MS))
    throw new InvalidArgumentError(`leaseMs must be an integer from 100 to ${MAX_TIMER_MS}`)
  return leaseMs
}

/**
 * The time leases are measured in: `performance.now()` (which wall-clock changes do not move)
 * on the system clock, the clock's own `now()` on any other (a test's manual clock).
 */
export function leaseTimeOf(clock: Clock): () => number {
  return clock === systemClock ? () => performance.now() : () => clock.now()
}

/** Sets a timer on `clock` that does not keep the process alive (on the system clock). */
function backgroundTimer(clock: Clock, fn: () => void, ms: number): TimerHandle {
  const handle = clock.setTimeout(fn, ms)
  ;(handle as { unref?: () => void } | undefined)?.unref?.()
  return handle
}

/** One lease held by {@link holdLease}. */
export interface HeldLease {
  /** The lock's name, for the LockLostError message. */
  name: string
  /** Lease length in ms: the lock frees itself this long after its last renewal. */
  leaseMs: number
  /**
   * When the command that took the lock was sent, in {@link leaseTimeOf} the clock: the lease
   * runs from no earlier than this.
   */
  acquiredAt: number
  /** The clock of the renewals and of the watchdog. */
  clock: Clock
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
  const { name, leaseMs, clock } = lease
  const now = leaseTimeOf(clock)
  const controller = new AbortController()
  let settled = false
  let renewing = false
  /** Sending time (`now()`) of the latest renewal (or acquisition) confirmed. */
  let confirmedAt = lease.acquiredAt
  let lastError: unknown

  const lose = (reason: string, cause?: unknown) => {
    if (settled || controller.signal.aborted) return
    controller.abort(new LockLostError(name, reason, cause === undefined ? undefined : { cause }))
  }

  // Fires when the last confirmed renewal is a whole lease old; moved on by every confirmation.
  // A held lock must not keep the process alive: both timers are background ones.
  let watchdog: TimerHandle | undefined
  const armWatchdog = () => {
    clock.clearTimeout(watchdog)
    watchdog = backgroundTimer(
      clock,
      () => {
        watchdog = undefined
        if (now() - confirmedAt >= leaseMs) {
          lose(`its lease could not be renewed for ${leaseMs} ms`, lastError)
        } else {
          armWatchdog()
        }
      },
      Math.max(0, confirmedAt + leaseMs - now()),
    )
  }

  // Every third of the lease, one renewal; stopped for good by a definite loss or by `fn`
  // settling.
  let keepAlive: TimerHandle | undefined
  let stopped = false
  const scheduleRenewal = () => {
    keepAlive = backgroundTimer(
      clock,
      () => {
        if (stopped || settled) return
        scheduleRenewal()
        renewOnce()
      },
      leaseMs / 3,
    )
  }
  const stopRenewals = () => {
    stopped = true
    clock.clearTimeout(keepAlive)
  }

  const renewOnce = () => {
    // A renewal still waiting for its reply (bounded by the backend's command timeout) is
    // not doubled; the watchdog covers one that never comes back.
    if (renewing) return
    renewing = true
    const sentAt = now()
    lease.renew().then(
      (ours) => {
        renewing = false
        if (settled) return
        if (!ours) {
          stopRenewals()
          clock.clearTimeout(watchdog)
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
  }
  scheduleRenewal()
  armWatchdog()

  try {
    return await fn({ signal: controller.signal })
  } finally {
    settled = true
    stopRenewals()
    clock.clearTimeout(watchdog)
    await lease.release().catch(() => {})
  }
}
