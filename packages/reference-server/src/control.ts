/** The `control` API: faults, key rotation, request log, device approval, clock. */
import type { ServerState } from './state.ts'
import type { ServerControl } from './types.ts'

function deviceByUserCode(state: ServerState, userCode: string) {
  const normalized = normalizeUserCode(userCode)
  for (const record of state.devices.values()) {
    if (record.userCode === normalized) return record
  }
  return undefined
}

/** User codes are compared without dashes, spaces or case (RFC 8628 §6.1). */
export function normalizeUserCode(userCode: string): string {
  const raw = userCode.toUpperCase().replace(/[^A-Z0-9]/g, '')
  return raw.length === 8 ? `${raw.slice(0, 4)}-${raw.slice(4)}` : raw
}

/** Approves or denies a pending device authorization; throws for unknown or settled codes. */
export function decideDevice(
  state: ServerState,
  userCode: string,
  decision: { sub: string } | 'deny',
): void {
  const record = deviceByUserCode(state, userCode)
  if (!record || record.expiresAt < state.now())
    throw new Error(`unknown or expired user code ${userCode}`)
  if (record.status !== 'pending')
    throw new Error(`user code ${userCode} is already ${record.status}`)
  if (decision === 'deny') {
    record.status = 'denied'
    return
  }
  record.status = 'approved'
  record.sub = decision.sub
  record.authTime = state.now()
}

export function createControl(state: ServerState): ServerControl {
  return {
    setFaults: (faults) => state.faults.set(faults),
    resetFaults: () => {
      state.faults.reset()
      state.holds.releaseAll()
    },
    hold: (options) => state.holds.add(options),
    rotateKeys: (options) => state.keys.rotate(options),
    requests: (filter) => state.log.list(filter),
    clearRequests: () => state.log.clear(),
    approveDevice(userCode, username) {
      const user = username ? state.users.find((u) => u.username === username) : state.users[0]
      if (!user) throw new Error(`unknown user ${username}`)
      decideDevice(state, userCode, { sub: user.sub })
    },
    denyDevice: (userCode) => decideDevice(state, userCode, 'deny'),
    setClockOffset(seconds) {
      state.clockOffset = seconds
    },
  }
}
