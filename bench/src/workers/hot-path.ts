/**
 * Hot path and concurrency, in one process so every library shares the same conditions.
 * Started by run.ts with NODE_EXTRA_CA_CERTS (msal-node's https endpoint) and CERT / KEY paths.
 * Prints one JSON line.
 */
// First: counts fetch() calls of every library imported after it.
import { fetchCalls } from '../lib/count-fetch.ts'
import { startReferenceServer } from '@openrp/reference-server'
import { startHttpsTokenEndpoint } from '../lib/https-token-endpoint.ts'
import { allowOnlyLoopback } from '../lib/loopback-guard.ts'
import { compareRates, summarize } from '../lib/stats.ts'
import { msalClient, msalToken } from '../subjects/msal-node.ts'
import { ccProvider, ccToken, discoverM2m, tokenManagerWithSession } from '../subjects/openrp.ts'

const CALLERS = Number(process.env.BENCH_CALLERS ?? 1000)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)

allowOnlyLoopback()
const server = await startReferenceServer({ port: 0 })
const endpoint = await startHttpsTokenEndpoint(process.env.CERT!, process.env.KEY!)
const tokenRequests = (grantType?: string) =>
  server.control.requests({ endpoint: 'token', ...(grantType ? { grantType } : {}) }).length

try {
  // --- cached calls per second ---------------------------------------------------------------
  const m2m = await discoverM2m(server.issuer)
  const provider = ccProvider(m2m)
  await ccToken(provider)
  const manager = await tokenManagerWithSession(server.issuer)
  await manager.getAccessToken()
  const msal = msalClient(endpoint)
  await msalToken(msal)
  const msalRequests = async () => (await endpoint.stats()).tokenRequests
  const before = { openrp: tokenRequests(), msal: await msalRequests() }
  const cached = await compareRates(
    {
      'openrp TokenManager.getAccessToken()': () => manager.getAccessToken(),
      'openrp ClientCredentialsProvider.getToken()': () => ccToken(provider),
      'msal-node acquireTokenByClientCredential()': () => msalToken(msal),
    },
    { rounds: ROUNDS, ms: 500 },
  )
  const cachedMadeRequests = {
    openrp: tokenRequests() - before.openrp,
    msal: (await msalRequests()) - before.msal,
  }

  // --- concurrent callers on an empty cache ---------------------------------------------------
  const counts: Record<string, number[]> = {
    'openrp ClientCredentialsProvider.getToken()': [],
    'openrp TokenManager.getAccessToken() (expired, refresh)': [],
    'msal-node acquireTokenByClientCredential()': [],
  }
  /** msal-node calls that failed (e.g. connect timeouts on a loaded machine), per run. */
  const msalFailures: number[] = []
  /** msal-node token requests that reached the endpoint, per run. */
  const msalArrived: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const fresh = ccProvider(m2m)
    let start = tokenRequests('client_credentials')
    await Promise.all(Array.from({ length: CALLERS }, () => ccToken(fresh)))
    counts['openrp ClientCredentialsProvider.getToken()']!.push(
      tokenRequests('client_credentials') - start,
    )

    const expired = await tokenManagerWithSession(server.issuer, { expired: true })
    start = tokenRequests('refresh_token')
    await Promise.all(Array.from({ length: CALLERS }, () => expired.getAccessToken()))
    counts['openrp TokenManager.getAccessToken() (expired, refresh)']!.push(
      tokenRequests('refresh_token') - start,
    )

    const app = msalClient(endpoint)
    const attemptedBefore = fetchCalls(endpoint.metadata.token_endpoint!)
    start = await msalRequests()
    const settled = await Promise.allSettled(Array.from({ length: CALLERS }, () => msalToken(app)))
    counts['msal-node acquireTokenByClientCredential()']!.push(
      fetchCalls(endpoint.metadata.token_endpoint!) - attemptedBefore,
    )
    msalArrived.push((await msalRequests()) - start)
    msalFailures.push(settled.filter((r) => r.status === 'rejected').length)
  }
  const concurrent = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, summarize(v)]))

  console.log(
    JSON.stringify({
      cached,
      cachedMadeRequests,
      concurrent,
      callers: CALLERS,
      msalUnexpectedRequests: (await endpoint.stats()).unexpected,
      msalArrived: summarize(msalArrived),
      msalFailures: summarize(msalFailures),
    }),
  )
} finally {
  await endpoint.close()
  await server.close()
}
