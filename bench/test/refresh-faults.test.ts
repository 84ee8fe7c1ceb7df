import { expect, it } from 'vitest'
import { measureRefreshFaults } from '../src/refresh-faults.ts'

// A check that the refresh-faults section runs end to end, on a tiny configuration: two
// in-process members, one short outage. It measures nothing worth quoting.
it('runs an outage across a tiny fleet and reports requests during it', async () => {
  const [row] = await measureRefreshFaults({
    faults: ['outage-503'],
    processes: 2,
    runs: 1,
    durationSec: 3,
    faultAtSec: 0.5,
    outageSec: 1,
    accessTokenTtlSec: 2,
    inProcess: true,
  })
  expect(row).toMatchObject({ fault: 'outage-503', runs: 1 })
  expect(row!.refreshRequests).toBeGreaterThan(0)
  expect(row!.expiries).toBeGreaterThan(0)
  expect(row!.outageRequestsPerSec).toBeGreaterThan(0)
  expect(row!.calls).toBeGreaterThan(0)
})
