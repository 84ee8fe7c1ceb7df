/** Drops expired in-memory records so a long-running server does not grow without bound. */
import type { ServerState } from './state.ts'

/**
 * Seconds a record is kept past its expiry: longer than any clock tolerance of the checks, so
 * what a forgotten record named is refused as expired, never taken as new.
 */
export const SWEEP_GRACE = 300

/**
 * Drops the records expired for longer than {@link SWEEP_GRACE}. The seen one-time identifiers
 * are swept by `rememberJti`, on the server's clock.
 */
export function sweepExpired(state: ServerState): void {
  // A moved or injected clock (tests) would make valid records look expired (or turn an
  // expired_token into an unknown code): sweep only on real time.
  if (state.clockOffset !== 0 || state.options.clock) return
  const old = state.now() - SWEEP_GRACE
  for (const [k, v] of state.codes) if (v.expiresAt < old) state.codes.delete(k)
  for (const [k, v] of state.par) if (v.expiresAt < old) state.par.delete(k)
  for (const [k, v] of state.devices) if (v.expiresAt < old) state.devices.delete(k)
  for (const [k, v] of state.accessTokens) if (v.expiresAt < old) state.accessTokens.delete(k)
  for (const [k, v] of state.refreshTokens) if (v.expiresAt < old) state.refreshTokens.delete(k)
  for (const [k, v] of state.interactions) if (v.createdAt + 600 < old) state.interactions.delete(k)
}

/** Runs `sweepExpired` at most once per `everySec` of wall-clock time. */
export function sweeper(state: ServerState, everySec = 60): () => void {
  let last = Date.now()
  return () => {
    if (Date.now() - last < everySec * 1000) return
    last = Date.now()
    sweepExpired(state)
  }
}
