/**
 * Faults around a refresh, side by side, across a fleet: N members (processes, or in-process
 * managers for the bench's own test) share one user session through TokenManager (or one
 * machine token through ClientCredentialsProvider, for the outages) on a RedisStore +
 * RedisLock (a real redis-server). The reference server rotates refresh tokens and
 * revokes the family on reuse; access tokens live a few seconds, so the fleet refreshes often.
 * Once every member runs, one fault is injected; the run then measures whether the session
 * survived, how many refresh requests each expiry cost, and how hard an outage was hammered.
 *
 * It measures whatever TokenManager does on the tree it runs on.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { discover, isOpenRpError, TokenSet } from '@openrp/core'
import { RedisStore } from '@openrp/node'
import { DEMO_CLIENTS, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { startRedis } from '@openrp/testkit'
import { runWorker } from './lib/child.ts'
import {
  GO_KEY,
  HOLDER_KEY,
  READY_KEY,
  type RefreshMemberConfig,
  type RefreshMemberResult,
  runRefreshMember,
  SESSION_KEY,
  type RefreshSubject,
  STORE_FAULT_KEY,
  STORE_READ_FAULT_KEY,
} from './lib/refresh-member.ts'

/**
 * The faults, in the order of the table, with what each does.
 *
 * @example
 * ```ts
 * for (const [name, what] of Object.entries(REFRESH_FAULTS)) console.log(name, what)
 * ```
 */
export const REFRESH_FAULTS = {
  none: 'no fault (the baseline)',
  'timeout-after-processing':
    "the provider rotates the refresh token, then its answer is held past the client's timeoutMs",
  'bad-expires-in': 'a 200 that carries a new refresh token and an invalid expires_in',
  'store-write-fails': 'the store refuses the write of the rotated token set, once',
  'store-read-fails':
    'the store read that follows a refresh answer (before its write) fails, once, in the member that got the answer',
  'holder-killed':
    'the process holding the lock is killed (SIGKILL) after the provider rotated the token, before its answer arrives (processes only)',
  'outage-503': 'the token endpoint answers 503 for the outage',
  'outage-429': 'the token endpoint answers 429 with Retry-After: 30 for the outage',
} as const

export type RefreshFault = keyof typeof REFRESH_FAULTS

/** The faults a ClientCredentialsProvider fleet runs (it has no refresh token to lose). */
const MACHINE_FAULTS: readonly RefreshFault[] = ['none', 'outage-503', 'outage-429']

export interface RefreshFaultsOptions {
  faults?: RefreshFault[]
  /** Members sharing the session (default 4). */
  processes?: number
  /** Runs per fault (default 2). */
  runs?: number
  /** How long the members run once all have started, s (default 14). */
  durationSec?: number
  /** When the fault starts, s after all members have started (default 4). */
  faultAtSec?: number
  /** Length of the outages, s (default 6). */
  outageSec?: number
  /**
   * Tests only: an outage goes on past `outageSec` until the provider has refused this many
   * token requests (default 0), so a check that the fleet met it does not depend on how fast a
   * loaded machine runs the members.
   */
  outageMinRequests?: number
  /** Access-token lifetime, s (default 3; members refresh 1 s before expiry). */
  accessTokenTtlSec?: number
  /** The members' timeoutMs (default 1500). */
  timeoutMs?: number
  /** The members' RedisLock lease, ms (default 3000: a killed holder is replaced sooner). */
  leaseMs?: number
  /** The provider's refresh-token reuse interval (grace window), s (default 0: none). */
  reuseIntervalSec?: number
  /**
   * What the members share: one user session (`token-manager`, the default) or one machine
   * token (`client-credentials`: only `none` and the outages run).
   */
  subject?: RefreshSubject
  /** Run the members as managers in this process instead of processes (the bench's test). */
  inProcess?: boolean
  log?: (line: string) => void
}

export interface RefreshFaultResult {
  fault: RefreshFault
  subject: RefreshSubject
  /** Members sharing the session or token. */
  processes: number
  runs: number
  /** Runs whose session ended (the stored refresh token no longer works, or a member saw the session end). */
  sessionsLost: number
  /** Refresh (or client credentials) requests that reached the provider, all runs. */
  refreshRequests: number
  /** Refreshes the provider answered with new tokens outside the outage: one per expiry. */
  expiries: number
  /** Refresh requests per expiry outside the outage (1 when no request is wasted). */
  requestsPerExpiry: number
  /** Refresh requests per second during the outage (outage faults only). */
  outageRequestsPerSec?: number
  /** The most requests in any one second of an outage (a sliding window), all runs. */
  outagePeakPerSec?: number
  /** The most requests during one run's outage (the whole fleet). */
  outageRequestsMax?: number
  /** getAccessToken() calls of every member, all runs. */
  calls: number
  /** Failed getAccessToken() calls by code, all runs. */
  errors: Record<string, number>
  /** Store errors after an answer that members retried under the lock, all runs. */
  storeRetries: number
}

const CLIENT_ID = 'refresh-faults'
const CLIENT_SECRET = 'refresh-faults-secret'
const SESSION_ENDED = new Set(['SESSION_EXPIRED', 'LOGIN_REQUIRED', 'INVALID_GRANT'])

/**
 * Runs every fault `runs` times and returns one row per fault.
 *
 * @example
 * ```ts
 * const rows = await measureRefreshFaults({ processes: 4, runs: 3 })
 * const lost = rows.reduce((n, r) => n + r.sessionsLost, 0)
 * ```
 */
export async function measureRefreshFaults(
  options: RefreshFaultsOptions = {},
): Promise<RefreshFaultResult[]> {
  const o = {
    faults: Object.keys(REFRESH_FAULTS) as RefreshFault[],
    processes: 4,
    runs: 2,
    durationSec: 14,
    faultAtSec: 4,
    outageSec: 6,
    outageMinRequests: 0,
    accessTokenTtlSec: 3,
    timeoutMs: 1500,
    leaseMs: 3000,
    reuseIntervalSec: 0,
    subject: 'token-manager' as RefreshSubject,
    inProcess: false,
    log: () => {},
    ...options,
  }
  const redis = await startRedis()
  const server = await startReferenceServer({
    port: 0,
    refreshTokenReuseInterval: o.reuseIntervalSec,
    clients: [
      ...DEMO_CLIENTS,
      {
        client_id: CLIENT_ID,
        client_name: 'Fleet sharing one session (bench)',
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['password', 'refresh_token', 'client_credentials'],
        scope: 'openid offline_access api:read',
        access_token_ttl: o.accessTokenTtlSec,
      },
    ],
  })
  try {
    const rows: RefreshFaultResult[] = []
    let runId = 0
    // Killing a process needs processes.
    const faults = o.faults.filter(
      (f) =>
        !(o.inProcess && f === 'holder-killed') &&
        (o.subject === 'token-manager' || MACHINE_FAULTS.includes(f)),
    )
    for (const fault of faults) {
      const row: RefreshFaultResult = {
        fault,
        subject: o.subject,
        processes: o.processes,
        runs: 0,
        sessionsLost: 0,
        refreshRequests: 0,
        expiries: 0,
        requestsPerExpiry: 0,
        calls: 0,
        errors: {},
        storeRetries: 0,
      }
      let outageRequests = 0
      let outageMs = 0
      let peak = 0
      let most = 0
      for (let run = 0; run < o.runs; run++) {
        const r = await oneRun(server, redis.url, fault, `bench:faults:${runId++}:`, o)
        row.runs++
        if (r.lost) row.sessionsLost++
        row.refreshRequests += r.refreshRequests
        row.expiries += r.expiries
        row.calls += r.calls
        row.storeRetries += r.storeRetries
        outageRequests += r.outageRequests
        outageMs += r.outageMs
        peak = Math.max(peak, r.outagePeakPerSec)
        most = Math.max(most, r.outageRequests)
        for (const [code, n] of Object.entries(r.errors))
          row.errors[code] = (row.errors[code] ?? 0) + n
        o.log(
          `   ${o.subject} ${fault} run ${run + 1}: ${r.lost ? 'session LOST' : 'session kept'}, ${r.refreshRequests} token requests${r.outageMs ? `, ${r.outageRequests} in the outage` : ''}${r.storeRetries ? `, ${r.storeRetries} store errors retried` : ''}`,
        )
      }
      const outside = row.refreshRequests - outageRequests
      row.requestsPerExpiry = row.expiries ? outside / row.expiries : 0
      if (outageMs > 0) {
        row.outageRequestsPerSec = outageRequests / (outageMs / 1000)
        row.outagePeakPerSec = peak
        row.outageRequestsMax = most
      }
      rows.push(row)
    }
    return rows
  } finally {
    await server.close()
    await redis.stop()
  }
}

interface RunResult {
  lost: boolean
  refreshRequests: number
  expiries: number
  outageRequests: number
  outageMs: number
  outagePeakPerSec: number
  calls: number
  storeRetries: number
  errors: Record<string, number>
}

async function oneRun(
  server: ReferenceServer,
  redisUrl: string,
  fault: RefreshFault,
  prefix: string,
  o: Required<RefreshFaultsOptions>,
): Promise<RunResult> {
  server.control.resetFaults()
  server.control.clearRequests()
  const client = await discover(server.issuer, {
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    clientAuth: 'client_secret_post',
  })
  const store = new RedisStore({ url: redisUrl, prefix })
  try {
    if (o.subject === 'token-manager') {
      // The session every member shares: alice's tokens, stored once.
      const login = await client.password({
        username: 'alice',
        password: 'wonderland',
        scope: 'openid offline_access api:read',
      })
      await store.set(SESSION_KEY, login.toJSON())
    }
    server.control.clearRequests()

    const config: RefreshMemberConfig = {
      redisUrl,
      issuer: server.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      prefix,
      durationMs: o.durationSec * 1000,
      timeoutMs: o.timeoutMs,
      leaseMs: o.leaseMs,
      subject: o.subject,
    }
    // A killed member reports nothing: the others' results are what counts.
    let startFailure: unknown
    const members = Promise.allSettled(
      Array.from({ length: o.processes }, (_, index) =>
        (o.inProcess
          ? runRefreshMember({ ...config, index })
          : runWorker<RefreshMemberResult>('refresh-member.ts', {
              REDIS_URL: config.redisUrl,
              ISSUER: config.issuer,
              CLIENT_ID,
              CLIENT_SECRET,
              PREFIX: prefix,
              DURATION_MS: String(config.durationMs),
              TIMEOUT_MS: String(config.timeoutMs),
              LEASE_MS: String(o.leaseMs),
              SUBJECT: o.subject,
              MEMBER_INDEX: String(index),
            })
        ).catch((error: unknown) => {
          startFailure ??= error
          throw error
        }),
      ),
    )
    // Every member has warmed up (a first call made, its lock connected): the fleet is up; go.
    // Time-based faults (the outages) then meet a fleet already at work; what warming up asked
    // of the provider is not counted.
    const ready = async () => {
      if (startFailure !== undefined) throw startFailure
      for (let i = 0; i < o.processes; i++)
        if ((await store.get(`${READY_KEY}:${i}`)) === undefined) return false
      return true
    }
    await until(ready, 180_000)
    server.control.clearRequests()
    await store.set(GO_KEY, Date.now())
    await sleep(o.faultAtSec * 1000)
    const outage = await inject(server, store, fault, o)
    const settled = await members
    const results = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    const died = settled.length - results.length
    if (died > (fault === 'holder-killed' ? 1 : 0)) {
      const failure = settled.find((r) => r.status === 'rejected')
      throw (failure as PromiseRejectedResult).reason
    }
    const refreshes = server.control.requests({
      endpoint: 'token',
      grantType: o.subject === 'token-manager' ? 'refresh_token' : 'client_credentials',
    })
    const inOutage = (t: number) => outage !== undefined && t >= outage.from && t <= outage.to
    const outside = refreshes.filter((r) => !inOutage(r.time))
    const errors: Record<string, number> = {}
    for (const m of results)
      for (const [code, n] of Object.entries(m.errors)) errors[code] = (errors[code] ?? 0) + n
    const during = refreshes.filter((r) => inOutage(r.time)).map((r) => r.time)
    return {
      // A machine token has no session to lose: a new one is a request away.
      lost:
        o.subject === 'token-manager' &&
        (Object.keys(errors).some((code) => SESSION_ENDED.has(code)) ||
          !(await stillWorks(client, store))),
      refreshRequests: refreshes.length,
      expiries: outside.filter((r) => r.status === 200).length,
      outageRequests: refreshes.length - outside.length,
      outageMs: outage ? outage.to - outage.from : 0,
      outagePeakPerSec: Math.max(
        0,
        ...during.map((t) => during.filter((u) => u >= t && u < t + 1000).length),
      ),
      calls: results.reduce((n, m) => n + m.calls, 0),
      storeRetries: results.reduce((n, m) => n + m.storeRetries, 0),
      errors,
    }
  } finally {
    await store.close()
  }
}

/** Injects `fault`; for outages, returns the window it lasted (epoch ms). */
async function inject(
  server: ReferenceServer,
  store: RedisStore,
  fault: RefreshFault,
  o: Required<RefreshFaultsOptions>,
): Promise<{ from: number; to: number } | undefined> {
  switch (fault) {
    case 'none':
      return undefined
    case 'timeout-after-processing': {
      const hold = server.control.hold({ endpoint: 'token', grantType: 'refresh_token', times: 1 })
      await hold.waitUntilHeld(1, { timeoutMs: o.accessTokenTtlSec * 4000 })
      await sleep(o.timeoutMs + 500)
      hold.release()
      return undefined
    }
    case 'bad-expires-in':
      server.control.setFaults({ tokenResponse: { expiresIn: 'soon', times: 1 } })
      return undefined
    case 'store-write-fails':
      await store.set(STORE_FAULT_KEY, 1)
      return undefined
    case 'store-read-fails':
      await store.set(STORE_READ_FAULT_KEY, 1)
      return undefined
    case 'holder-killed': {
      // The refresh reaches the provider (rotated); its sender dies before the answer arrives.
      const hold = server.control.hold({ endpoint: 'token', grantType: 'refresh_token', times: 1 })
      await hold.waitUntilHeld(1, { timeoutMs: o.accessTokenTtlSec * 4000 })
      const pid = await store.get<number>(HOLDER_KEY)
      if (typeof pid !== 'number' || pid === process.pid)
        throw new Error('refresh-faults: no lock holder to kill')
      process.kill(pid, 'SIGKILL')
      await sleep(200)
      hold.release()
      return undefined
    }
    case 'outage-503':
    case 'outage-429': {
      const from = Date.now()
      server.control.setFaults({
        http: {
          token: fault === 'outage-503' ? { status: 503 } : { status: 429, retryAfter: '30' },
        },
      })
      await sleep(o.outageSec * 1000)
      const met = async () =>
        server.control.requests({ endpoint: 'token' }).filter((r) => r.time >= from).length >=
        o.outageMinRequests
      await until(met, 30_000, 'no member met the outage')
      server.control.resetFaults()
      return { from, to: Date.now() }
    }
  }
}

/** The stored session can still be refreshed at the provider (it was not revoked or lost). */
async function stillWorks(
  client: Awaited<ReturnType<typeof discover>>,
  store: RedisStore,
): Promise<boolean> {
  const json = await store.get(SESSION_KEY)
  if (json === undefined) return false
  try {
    const set = TokenSet.fromJSON(json)
    if (!set.refreshToken) return false
    await client.refresh(set.refreshToken)
    return true
  } catch (error) {
    if (isOpenRpError(error)) return false
    throw error
  }
}

async function until(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  failure = 'the fleet did not start in time',
): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`refresh-faults: ${failure}`)
    await sleep(50)
  }
}
