/**
 * `pnpm bench`: bundle sizes, hot path, concurrency, ID-token validation, cold import and a
 * Redis-backed fleet, each openrp figure beside the libraries users would pick instead.
 * Writes bench/RESULTS.md. `--only=size,react,hot,redis,idtoken,cold,fleet,faults` runs some sections;
 * `--only=tests` (not run by default: about 10 minutes) times the test command's vitest stage
 * beside an earlier commit's.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { COLD_IMPORT_TARGETS, measureColdImports } from './cold-import.ts'
import { measureFleet } from './fleet.ts'
import { measureTestStage, TEST_STAGE_BASELINE } from './test-stage.ts'
import {
  measureRefreshFaults,
  REFRESH_FAULTS,
  type RefreshFault,
  type RefreshFaultResult,
} from './refresh-faults.ts'
import type { CacheHeapResult } from './workers/cc-heap.ts'
import { ensureBuilt } from './lib/build.ts'
import { makeLoopbackCert } from './lib/cert.ts'
import { runWorker } from './lib/child.ts'
import { ms, num, ratio, table, times, withRange } from './lib/format.ts'
import { machineInfo, versionOf } from './lib/machine.ts'
import {
  type CpuComparison,
  medianRatio,
  poolComparisons,
  ratioQuartiles,
  type Summary,
} from './lib/stats.ts'
import { kb } from './size/bundle.ts'
import { bundleBreakdown } from './size/breakdown.ts'
import { measureSizes } from './size/measure.ts'
import { measureReactLayers, strayImports } from './size/react.ts'
import { sizeChecks, sizeTable } from './size/table.ts'

const SECTIONS = ['size', 'react', 'hot', 'redis', 'idtoken', 'cold', 'fleet', 'faults'] as const
type Section = (typeof SECTIONS)[number] | 'tests'
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)
const selected = new Set<Section>(only ? (only.split(',') as Section[]) : SECTIONS)
const log = (line: string) => console.error(line)
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
const started = Date.now()
const out: string[] = []
const failures: string[] = []
const headline: string[] = []

async function section(id: Section, title: string, body: () => Promise<string[]>) {
  if (!selected.has(id)) return
  log(`\n== ${title}`)
  const t = Date.now()
  out.push(`## ${title}`, '')
  try {
    out.push(...(await body()), '')
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
    failures.push(`${title}: ${message.split('\n')[0]}`)
    out.push('**Not measured: this section failed.**', '', '```', message, '```', '')
    log(`   FAILED: ${message}`)
  }
  log(`   (${((Date.now() - t) / 1000).toFixed(0)} s)`)
}

await section('size', 'Bundle size: typical SPA usage', async () => {
  const rows = await measureSizes(log)
  const breakdown = await bundleBreakdown('openrp.ts')
  const openrp = rows[0]!.size
  const openrpRows = rows.filter((r) => r.subject.entry.startsWith('openrp'))
  const budget = JSON.parse(
    readFileSync(new URL('../size/budget.json', import.meta.url), 'utf8'),
  ) as { gzipBytes: Record<string, number> }
  headline.push(
    `openrp SPA bundle ${kb(openrp.gzip)} min+gzip with createSpaClient (${openrpRows
      .slice(1)
      .map((r) => `${kb(r.size.gzip)} with ${r.subject.name.replace(/^openrp \((.*)\)$/, '$1')}`)
      .join(', ')}); the others, as a multiple of it: ${rows
      .filter((r) => !r.subject.entry.startsWith('openrp'))
      .map((r) => `${r.subject.name} ${ratio(r.size.gzip, openrp.gzip)}`)
      .join(', ')}`,
  )
  return [
    'Each library does the same steps in one entry file (`bench/size/entries/`): create the client, redirect login with PKCE, handle the callback, get an access token (refreshing when expired), log out. Same rollup settings for all (browser resolution, CommonJS interop, `NODE_ENV=production`, ESM, tree-shaken, dynamic imports inlined, terser). 1 KB = 1,000 bytes; gzip level 9, brotli quality 11.',
    '',
    sizeTable(rows),
    '',
    ...sizeChecks(rows).map((l) => `- ${l}`),
    ...openrpRows.map(
      (r) =>
        `- CI budget of ${r.subject.name} (bench/size/budget.json, \`size:check\`): ${budget.gzipBytes[r.subject.entry] ?? 'none'} bytes min+gzip; measured ${r.size.gzip} bytes.`,
    ),
    '',
    "Where the bytes of openrp's createSpaClient bundle come from (each module minified alone by esbuild, tree-shaken length; approximate shares of the uncompressed bundle):",
    '',
    table(
      ['package', 'share', 'bytes'],
      breakdown.packages.map((p) => [p.source, `${(p.share * 100).toFixed(0)}%`, num(p.bytes)]),
    ),
    '',
    `Largest openrp modules: ${breakdown.modules
      .slice(0, 10)
      .map((m) => `\`${m.source}\` ${(m.share * 100).toFixed(1)}%`)
      .join(', ')}.`,
  ]
})

await section('react', 'Bundle size: the React layer', async () => {
  const rows = await measureReactLayers(log)
  const openrp = rows[0]!
  const budget = JSON.parse(
    readFileSync(new URL('../size/budget.json', import.meta.url), 'utf8'),
  ) as { reactLayerGzipBytes?: Record<string, number> }
  headline.push(
    `React layer over its own core: @openrp/react ${kb(openrp.layer.gzip)} min+gzip; ${rows
      .slice(1)
      .map(
        (r) => `${r.subject.name} ${kb(r.layer.gzip)} (${ratio(r.layer.gzip, openrp.layer.gzip)})`,
      )
      .join(', ')}`,
  )
  return [
    "What a React binding adds to the SPA library under it. Each entry (`bench/size/entries/`) renders the binding's provider (which finishes the redirect callback), a protected route (`RequireAuth` / `withAuthenticationRequired`) and a component using the hook for login, access token and logout; React itself is left out of the bundle (every React app has it). The layer's cost is that bundle minus the bundle of its own core doing the same steps (rows of the table above: `openrp.ts`, `openrp-spa-client.ts`, `auth0-spa-js.ts`, `oidc-client-ts.ts`), per measure. Same rollup settings as above.",
    '',
    table(
      [
        'React layer',
        'versions',
        'with its core, min+gzip',
        'core alone, min+gzip',
        'layer min',
        'layer min+gzip',
        'layer min+brotli',
        'gzip vs @openrp/react',
        'notes',
      ],
      rows.map((r) => [
        r.subject.name.startsWith('@openrp') ? `**${r.subject.name}**` : r.subject.name,
        r.versions,
        kb(r.whole.gzip),
        kb(r.core.gzip),
        kb(r.layer.min),
        kb(r.layer.gzip),
        kb(r.layer.brotli),
        ratio(r.layer.gzip, openrp.layer.gzip),
        r.subject.note,
      ]),
    ),
    '',
    `- @openrp/react: ${strayImports(openrp).length === 0 ? 'no imports left outside the bundle but React' : `imports from outside: ${strayImports(openrp).join(', ')}`}; ${openrp.whole.forbidden.length === 0 ? 'no device-flow, token-exchange, JWT/SAML-bearer or Redis strings, no `node:` imports' : `CONTAINS: ${openrp.whole.forbidden.join(', ')}`}.`,
    `- CI budget of the @openrp/react layer (bench/size/budget.json \`reactLayerGzipBytes\`, \`size:check\`): ${budget.reactLayerGzipBytes?.[openrp.subject.entry] ?? 'none'} bytes min+gzip; measured ${openrp.layer.gzip} bytes.`,
  ]
})

await section('hot', 'Hot path and concurrency (Node)', async () => {
  const cert = makeLoopbackCert()
  const result = await runWorker<{
    cached: Record<string, Summary>
    cachedMadeRequests: { openrp: number; msal: number }
    concurrent: Record<string, Summary>
    callers: number
    msalUnexpectedRequests: string[]
    msalArrived: Summary
    msalFailures: Summary
  }>('hot-path.ts', {
    NODE_EXTRA_CA_CERTS: cert.certPath,
    CERT: cert.certPath,
    KEY: cert.keyPath,
  })
  const msalName = 'msal-node acquireTokenByClientCredential()'
  const msal = result.cached[msalName]!
  const vsMsal = (s: Summary) => medianRatio(s, msal)
  const tm = vsMsal(result.cached['openrp TokenManager.getAccessToken()']!)
  const cc = vsMsal(result.cached['openrp ClientCredentialsProvider.getToken()']!)
  const ccConcurrent = result.concurrent['openrp ClientCredentialsProvider.getToken()']!
  const msalConcurrent = result.concurrent[msalName]!
  headline.push(
    `cached token: TokenManager ${times(tm)} and ClientCredentialsProvider ${times(cc)} the calls/s of msal-node`,
    `${result.callers} concurrent callers, empty cache: openrp ${num(ccConcurrent.median)} token request(s), msal-node ${num(msalConcurrent.median)}`,
  )
  return [
    `One process (\`src/workers/hot-path.ts\`): openrp against the reference server over http://127.0.0.1, msal-node (${versionOf('@azure/msal-node')}) against a local https token endpoint (self-signed certificate made with ${cert.madeWith}, trusted through NODE_EXTRA_CA_CERTS; known authority and metadata given up front, every non-loopback DNS lookup refused). Cached calls are awaited back to back; 7 interleaved rounds of 500 ms after a warm-up, median (min–max); ratios are the median of round-by-round ratios.`,
    '',
    table(
      ['cached call', 'calls/s', 'vs msal-node'],
      Object.entries(result.cached).map(([name, s]) => [name, withRange(s), times(vsMsal(s))]),
    ),
    '',
    `Token requests made while measuring the cached calls: openrp ${result.cachedMadeRequests.openrp}, msal-node ${result.cachedMadeRequests.msal}. Requests msal-node made to anything but the token endpoint: ${result.msalUnexpectedRequests.length === 0 ? 'none' : result.msalUnexpectedRequests.join(', ')}.`,
    '',
    `${result.callers} callers at once on an empty cache (a fresh client each run), ${ccConcurrent.runs} runs. Token requests made: for openrp as counted by the reference server; for msal-node as fetch() calls to its token endpoint (requests it attempted; ${withRange(result.msalArrived)} reached the endpoint, ${withRange(result.msalFailures)} calls failed, e.g. TLS connect timeouts when a thousand handshakes meet a busy machine).`,
    '',
    table(
      ['subject', 'token requests, median (min–max)'],
      Object.entries(result.concurrent).map(([name, s]) => [name, withRange(s)]),
    ),
  ]
})

await section('redis', 'Hot path over Redis (Node)', async () => {
  const result = await runWorker<{
    rates: Record<string, Summary>
    perCall: Record<string, number>
  }>('redis-hot-path.ts', {})
  const memory = result.rates['TokenManager over MemoryStore']!
  const cachedName = 'TokenManager over RedisStore (local cache)'
  const cached = result.rates[cachedName]!
  headline.push(
    `hot path over RedisStore: ${times(medianRatio(cached, memory))} MemoryStore's calls/s, ${result.perCall[cachedName]!.toFixed(4)} Redis commands per call`,
  )
  return [
    'One process (`src/workers/redis-hot-path.ts`), a real redis-server on 127.0.0.1: `TokenManager.getAccessToken()` with a token valid for the session, awaited back to back; 7 interleaved rounds of 500 ms after a warm-up, median (min–max). Redis commands per call: INFO commandstats before and after 20,000 calls.',
    '',
    table(
      ['store', 'calls/s', 'vs MemoryStore', 'Redis commands per call'],
      Object.entries(result.rates).map(([name, s]) => [
        name,
        withRange(s),
        times(medianRatio(s, memory)),
        name.includes('Redis') ? result.perCall[name]!.toFixed(4) : '',
      ]),
    ),
  ]
})

/** Worker processes of the ID-token section (each 161 rounds per subject and algorithm). */
const ID_TOKEN_PROCESSES = Number(process.env.BENCH_PROCESSES ?? 5)

await section('idtoken', 'ID-token validation', async () => {
  // openrp as users import it: its built dist, not its TypeScript sources.
  ensureBuilt(['core'], log)
  const processes: Record<string, CpuComparison>[] = []
  for (let p = 1; p <= ID_TOKEN_PROCESSES; p++) {
    log(`   process ${p} of ${ID_TOKEN_PROCESSES}`)
    processes.push(
      await runWorker<Record<string, CpuComparison>>(
        'id-token.ts',
        { BENCH_SEED: String(p) },
        300_000,
        { openrpSource: false },
      ),
    )
  }
  const result = Object.fromEntries(
    Object.keys(processes[0]!).map((alg) => [
      alg,
      poolComparisons(processes.map((run) => run[alg]!)),
    ]),
  )
  /** Each process's own median ratio of `a` to `b`, lowest to highest. */
  const perProcess = (alg: string, a: string, b: string) =>
    processes
      .map((run) => medianRatio(run[alg]!.cpu[a]!, run[alg]!.cpu[b]!))
      .sort((x, y) => x - y)
      .map(times)
      .join(', ')
  const first = Object.values(processes[0]!)[0]!
  const roundsEach = Object.values(first.cpu)[0]!.runs
  const rounds = roundsEach * ID_TOKEN_PROCESSES
  const lines: string[] = [
    `Each subject processes the same refresh-token response carrying the same ID token, from the same in-memory fetch (no network), so the figures compare response parsing and ID-token validation: openrp \`client.refresh()\` (signature and every claim check, always on), openid-client ${versionOf('openid-client')} \`refreshTokenGrant()\` with \`enableNonRepudiationChecks\`, and jose ${versionOf('jose')} \`jwtVerify()\` alone (signature, iss, aud, exp, iat; no response parsing) as the floor, and openrp's \`validateIdToken()\` alone beside it. openrp is imported from its built dist.`,
    '',
    `How (\`src/workers/id-token.ts\`, \`compareCpuRates\` in \`src/lib/stats.ts\`): the four subjects run side by side in one process, each timed in CPU time (\`process.cpuUsage()\`, every thread of the process: WebCrypto's thread pool and garbage collection count), which other processes on a shared machine disturb far less than wall time. After a warm-up (1 s per subject, in three passes over all four), ${roundsEach} rounds of about 5 ms of CPU per subject, each round in a new (seeded) random order, so no subject is favoured by what ran before it. ${ID_TOKEN_PROCESSES} such processes one after the other, their rounds pooled: each process compiles the code its own way, and single processes differ by a few per cent (their own medians are listed below each table). A ratio is the median of all ${rounds} round-by-round ratios, in brackets the middle half of them (interquartile range); rates are medians. Wall-clock ratios of the same rounds are given too.`,
    '',
  ]
  for (const [alg, { cpu, wall, callsPerRound }] of Object.entries(result)) {
    const names = Object.keys(cpu)
    const find = (prefix: string) => names.find((n) => n.startsWith(prefix))!
    const [refresh, oc, validate, jose] = [
      find('openrp client.refresh'),
      find('openid-client'),
      find('openrp validateIdToken'),
      find('jose'),
    ]
    const vs = (rates: Record<string, Summary>, a: string, b: string) => {
      if (a === b) return times(1)
      const { q1, median, q3 } = ratioQuartiles(rates[a]!, rates[b]!)
      return `${times(median)} (${times(q1)}–${times(q3)})`
    }
    headline.push(
      `ID-token validation ${alg}: openrp client.refresh() ${times(medianRatio(cpu[refresh]!, cpu[oc]!))} openid-client's rate; openrp validateIdToken() ${times(medianRatio(cpu[validate]!, cpu[jose]!))} bare jwtVerify's (CPU time)`,
    )
    lines.push(
      `### ${alg}`,
      '',
      table(
        ['subject', 'µs CPU per call', 'calls per CPU-second', 'vs openid-client', 'vs jwtVerify'],
        names.map((name) => [
          name,
          (1e6 / cpu[name]!.median).toFixed(0),
          num(cpu[name]!.median),
          vs(cpu, name, oc),
          vs(cpu, name, jose),
        ]),
      ),
      '',
      `Each process's median, CPU time: client.refresh() ${perProcess(alg, refresh, oc)} openid-client's rate; validateIdToken() ${perProcess(alg, validate, jose)} jwtVerify's. Wall time, same rounds: client.refresh() ${vs(wall, refresh, oc)}, validateIdToken() ${vs(wall, validate, jose)}. Calls per round (first process): ${names.map((n) => callsPerRound[n]).join(' / ')}.`,
      '',
    )
  }
  return lines
})

await section('cold', 'Cold import (whole process)', async () => {
  ensureBuilt(['core', 'node'], log)
  const result = measureColdImports()
  const bare = result['bare node']!
  const vsBare = (name: string) => medianRatio(result[name]!, bare)
  headline.push(
    `cold import: @openrp/core process ${times(vsBare('@openrp/core'))} bare node, @openrp/node ${times(vsBare('@openrp/node'))}, openid-client ${times(vsBare('openid-client'))}, msal-node ${times(vsBare('@azure/msal-node'))}`,
  )
  return [
    `\`node --input-type=module -e "await import('<package>')"\` from bench/, spawned and waited for, against the same process with an empty script (bare node). openrp packages are imported from their built dist. ${result['bare node']!.runs} interleaved runs after a warm-up, median (min–max); ratios are the median of run-by-run ratios.`,
    '',
    table(
      ['process', 'version', 'wall time', 'vs bare node', 'over bare node'],
      COLD_IMPORT_TARGETS.map(({ name, specifier }) => {
        const s = result[name]!
        return [
          name,
          specifier ? versionOf(specifier) : process.version,
          withRange(s, ms),
          times(vsBare(name)),
          specifier ? ms(s.median - bare.median) : '',
        ]
      }),
    ),
  ]
})

await section('fleet', 'Fleet: shared RedisStore + RedisLock', async () => {
  const fleets = [await measureFleet(), await measureFleet({ deployment: 'cluster' })]
  for (const f of fleets)
    headline.push(
      `fleet of ${f.processes} processes on ${f.deployment === 'cluster' ? 'a Redis Cluster' : 'one Redis'}: ${f.tokenRequests} token requests over ${f.expiries} expiries (max ${f.maxRequestsPerExpiry} per expiry)`,
    )
  const f = fleets[0]!
  return [
    `${f.processes} Node processes, each with a ClientCredentialsProvider on one RedisStore + RedisLock (a real redis-server, then a real Redis Cluster of 3 primaries with a replica each), call getToken() in 4 loops for ${f.durationSec} s while the reference server issues tokens valid ${f.tokenTtlSec} s (renewed ${f.skewSec} s before expiry). The server counts the token requests; requests closer together than half a lifetime count as one expiry.`,
    '',
    table(
      [
        'Redis',
        'processes',
        'getToken() calls',
        'token requests',
        'expiries',
        'requests per expiry',
        'max in one expiry',
      ],
      fleets.map((f) => [
        f.deployment === 'cluster' ? 'cluster (3 primaries)' : 'one server',
        f.processes,
        num(f.calls),
        f.tokenRequests,
        f.expiries,
        (f.tokenRequests / Math.max(1, f.expiries)).toFixed(2),
        f.maxRequestsPerExpiry,
      ]),
    ),
  ]
})

await section('faults', 'Faults around a refresh, across a fleet', async () => {
  const processes = 4
  const fleet = 6
  const runs = 3
  const outages: RefreshFault[] = ['outage-503', 'outage-429']
  const plain = await measureRefreshFaults({
    processes,
    runs,
    faults: (Object.keys(REFRESH_FAULTS) as RefreshFault[]).filter((f) => !outages.includes(f)),
    log,
  })
  const graceful = await measureRefreshFaults({
    processes,
    runs,
    reuseIntervalSec: 30,
    faults: ['timeout-after-processing', 'bad-expires-in', 'store-write-fails', 'holder-killed'],
    log,
  })
  const outage = [
    ...(await measureRefreshFaults({ processes: fleet, runs, faults: outages, log })),
    ...(await measureRefreshFaults({
      processes: fleet,
      runs,
      faults: outages,
      subject: 'client-credentials',
      log,
    })),
  ]
  const heap = await runWorker<CacheHeapResult>('cc-heap.ts', {}, 600_000)
  const lost = plain.reduce((n, r) => n + r.sessionsLost, 0)
  const lostGrace = graceful.reduce((n, r) => n + r.sessionsLost, 0)
  // The one fault nothing but a provider grace window can save (the issue's documented case).
  const lostHolderKilled = plain
    .filter((r) => r.fault === 'holder-killed')
    .reduce((n, r) => n + r.sessionsLost, 0)
  const peak503 = Math.max(
    0,
    ...outage.filter((r) => r.fault === 'outage-503').map((r) => r.outagePeakPerSec ?? 0),
  )
  const most429 = Math.max(
    0,
    ...outage.filter((r) => r.fault === 'outage-429').map((r) => r.outageRequestsMax ?? 0),
  )
  headline.push(
    `faults around a refresh, fleet of ${processes}: ${lost} sessions lost in ${plain.length * runs} runs, ${lostHolderKilled} of them a lock holder killed with the only copy and no provider grace window (${lostGrace} in ${graceful.length * runs} with a provider grace window); fleet of ${fleet} during a 6 s outage: at most ${peak503} token requests in any second of a 503, at most ${most429} request(s) for the whole fleet during 429 with Retry-After: 30`,
    `ClientCredentialsProvider at 50,000 distinct scopes: ${heap.cachedTokens} tokens cached, heap +${mib(heap.providerHeapBytes)} (with its default MemoryStore: +${mib(heap.defaultStoreHeapBytes)})`,
  )
  const subjectName = (r: RefreshFaultResult) =>
    r.subject === 'token-manager' ? 'TokenManager' : 'ClientCredentialsProvider'
  const row = (r: RefreshFaultResult, grace: string) => [
    r.fault,
    grace,
    `${r.sessionsLost} of ${r.runs}`,
    r.expiries ? r.requestsPerExpiry.toFixed(2) : 'n/a',
    Object.entries(r.errors)
      .map(([code, n]) => `${code} ${n}`)
      .join(', '),
  ]
  return [
    `${processes} Node processes share one user session: TokenManager on one RedisStore + RedisLock (a real redis-server), getAccessToken() in 2 loops each. The reference server rotates refresh tokens (reuse revokes the family) and issues access tokens valid 3 s (renewed 1 s before expiry); the lock's lease is 3 s. Once every process runs, one fault is injected; each fault runs ${runs} times. A session is lost when a member sees it end or the stored refresh token no longer works at the end. Requests per expiry count refresh requests per refresh answered with new tokens (1.00: nothing wasted).`,
    '',
    'Faults: ' +
      Object.entries(REFRESH_FAULTS)
        .map(([name, what]) => `\`${name}\`: ${what}`)
        .join('; ') +
      '.',
    '',
    table(
      [
        'fault',
        'provider grace window',
        'sessions lost',
        'refresh requests per expiry',
        'errors callers saw',
      ],
      [...plain.map((r) => row(r, 'none')), ...graceful.map((r) => row(r, '30 s'))],
    ),
    '',
    `Outages: ${fleet} Node processes share one user session (TokenManager, as above) or one machine token (ClientCredentialsProvider, client credentials, tokens valid 3 s renewed 1 s before expiry); the token endpoint answers 503, or 429 with \`Retry-After: 30\`, for 6 s; ${runs} runs each. Token requests are counted by the reference server; the busiest second is the most requests in any 1 s window of an outage.`,
    '',
    table(
      [
        'subject',
        'outage',
        'processes',
        'token requests/s during the outage',
        'busiest second',
        'most requests in one outage (whole fleet)',
        'sessions lost',
        'errors callers saw',
      ],
      outage.map((r) => [
        subjectName(r),
        r.fault,
        r.processes,
        (r.outageRequestsPerSec ?? 0).toFixed(2),
        r.outagePeakPerSec ?? 0,
        r.outageRequestsMax ?? 0,
        r.subject === 'token-manager' ? `${r.sessionsLost} of ${r.runs}` : 'n/a',
        Object.entries(r.errors)
          .map(([code, n]) => `${code} ${n}`)
          .join(', '),
      ]),
    ),
    '',
    `ClientCredentialsProvider's memory (\`src/workers/cc-heap.ts\`, one process, \`--expose-gc\`): getToken() for ${num(heap.keys)} distinct scopes, each token valid 1 h, minted by an in-memory client (the cache is measured, not the protocol); heap after a full GC, minus the heap before (after a warm-up of 5,000 scopes each, not counted). With a shared store (the provider's map alone, RedisStore's role played by a store that keeps nothing): ${num(heap.cachedTokens)} tokens kept (\`maxCachedTokens\` 1000), +${mib(heap.providerHeapBytes)}. With the default store (the provider's own MemoryStore, capped at \`maxCachedTokens\`: expired tokens swept, then the least recently used evicted): +${mib(heap.defaultStoreHeapBytes)}.`,
  ]
})

await section('tests', "The test command's vitest stage", async () => {
  const rounds = 3
  const { current, baseline } = measureTestStage(rounds, log)
  const median = (r: typeof current) => `${withRange(r.seconds, (s) => s.toFixed(1))} s`
  const tests = (r: typeof current) =>
    `${r.runs[0]!.passed} passed, ${Math.max(...r.runs.map((x) => x.failed))} failed, ${r.runs[0]!.files} files`
  const share = medianRatio(current.seconds, baseline.seconds)
  headline.push(
    `the test command's vitest stage: ${median(current)}, ${times(share)} of the same stage at ${baseline.commit.slice(0, 7)} (${median(baseline)}), with ${current.runs[0]!.passed - baseline.runs[0]!.passed} more tests`,
  )
  return [
    `\`pnpm exec vitest run\` from the repository root with \`CI=true\`, after \`pnpm run build\`, as \`scripts/test.sh\` runs it (JSON reporter only), here and in a git worktree of ${TEST_STAGE_BASELINE.slice(0, 7)} (the last commit before the refresh coordinator; issue 14 measured its stage at 85 s). One warm-up run each, then ${rounds} rounds, the two checkouts in turn; wall time of the whole command. The ratio is the median of the round-by-round ratios.`,
    '',
    table(
      ['checkout', 'commit', 'wall time, median (min–max)', 'tests', 'this checkout as a multiple'],
      [
        [
          'this checkout',
          current.commit.slice(0, 7),
          median(current),
          tests(current),
          times(share),
        ],
        ['baseline', baseline.commit.slice(0, 7), median(baseline), tests(baseline), '1.00x'],
      ],
    ),
  ]
})

const command = `pnpm bench${only ? ` -- --only=${only}` : ''}`
const header = [
  '# openrp benchmark results',
  '',
  `Made by \`${command}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  `Machine: ${machineInfo()}. How: see [README.md](README.md).`,
  '',
  '## Headline',
  '',
  ...headline.map((h) => `- ${h}`),
  ...(failures.length > 0
    ? ['', '**Sections that failed:**', ...failures.map((f) => `- ${f}`)]
    : []),
  '',
]
const text = [...header, ...out].join('\n')
writeFileSync(new URL('../RESULTS.md', import.meta.url), text)
log(`\nwrote bench/RESULTS.md${failures.length ? ` (${failures.length} section(s) failed)` : ''}`)
console.log(header.join('\n'))
process.exit(failures.length > 0 ? 1 : 0)
