import { expect, it } from 'vitest'
import { measureRefreshFaults } from '../src/refresh-faults.ts'

// Checks that the refresh-faults section runs end to end, on tiny configurations: two
// in-process members, short runs. They measure nothing worth quoting. Each run has its own
// reference server and redis-server, and mostly waits out its duration: the runs go at once.
const tiny = {
  processes: 2,
  runs: 1,
  durationSec: 4,
  faultAtSec: 0.5,
  outageSec: 2,
  // The outage lasts until a member met it, however slowly a loaded machine runs them.
  outageMinRequests: 1,
  accessTokenTtlSec: 2,
  inProcess: true,
}

it.concurrent('runs an outage across a tiny fleet and reports requests during it', async () => {
  // Long enough for a refresh after the outage: failures before it back off for up to 4 s
  // (1, 2, 4 s with jitter), so a 4 s run could end before a member tried again.
  const [row] = await measureRefreshFaults({ ...tiny, durationSec: 8, faults: ['outage-503'] })
  expect(row).toMatchObject({ fault: 'outage-503', subject: 'token-manager', runs: 1 })
  expect(row!.refreshRequests).toBeGreaterThan(0)
  expect(row!.expiries).toBeGreaterThan(0)
  expect(row!.outageRequestsPerSec).toBeGreaterThan(0)
  expect(row!.outagePeakPerSec).toBeGreaterThan(0)
  expect(row!.outageRequestsMax).toBeGreaterThan(0)
  expect(row!.calls).toBeGreaterThan(0)
})

it.concurrent('fails the store read after a refresh answer, once, in the member that got it', async () => {
  const [row] = await measureRefreshFaults({ ...tiny, faults: ['store-read-fails'] })
  expect(row).toMatchObject({ fault: 'store-read-fails', runs: 1 })
  // The fault fired: the member retried the read under the lock (its `error` event).
  expect(row!.storeRetries).toBe(1)
  expect(row!.expiries).toBeGreaterThan(0)
})

it.concurrent('runs a ClientCredentialsProvider fleet through an outage (no session, only outages)', async () => {
  const rows = await measureRefreshFaults({
    ...tiny,
    faults: ['store-write-fails', 'outage-429'],
    subject: 'client-credentials',
  })
  expect(rows.map((r) => r.fault)).toEqual(['outage-429'])
  expect(rows[0]).toMatchObject({ subject: 'client-credentials', sessionsLost: 0 })
  expect(rows[0]!.refreshRequests).toBeGreaterThan(0)
  expect(rows[0]!.outageRequestsMax).toBeGreaterThan(0)
})
