import { DEMO_CLIENTS, startReferenceServer } from '@openrp/reference-server'
import { startRedis, startRedisCluster } from '@openrp/testkit'
import { runWorker } from './lib/child.ts'

export interface FleetResult {
  /** One redis-server, or a Redis Cluster of 3 primaries with a replica each. */
  deployment: 'single' | 'cluster'
  processes: number
  durationSec: number
  tokenTtlSec: number
  skewSec: number
  calls: number
  tokenRequests: number
  /** Groups of token requests closer together than half a token lifetime: one per expiry. */
  expiries: number
  maxRequestsPerExpiry: number
}

/**
 * N processes share one RedisStore + RedisLock (a real redis-server, or a real Redis Cluster)
 * and call
 * ClientCredentialsProvider.getToken() in loops while tokens expire every few seconds; the
 * reference server counts the token requests that reach it.
 */
export async function measureFleet({
  processes = 4,
  durationSec = 24,
  tokenTtlSec = 8,
  skewSec = 2,
  deployment = 'single' as FleetResult['deployment'],
} = {}): Promise<FleetResult> {
  const redis =
    deployment === 'cluster'
      ? await startRedisCluster().then((c) => ({
          env: { REDIS_CLUSTER: c.nodes.map((n) => n.url).join(',') },
          stop: () => c.stop(),
        }))
      : await startRedis().then((r) => ({ env: { REDIS_URL: r.url }, stop: () => r.stop() }))
  const server = await startReferenceServer({
    port: 0,
    clients: [
      ...DEMO_CLIENTS,
      {
        client_id: 'fleet',
        client_name: 'Fleet of daemons (bench)',
        client_secret: 'fleet-secret',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        scope: 'api:read',
        access_token_ttl: tokenTtlSec,
      },
    ],
  })
  try {
    const members = await Promise.all(
      Array.from({ length: processes }, () =>
        runWorker<{ calls: number }>('fleet-member.ts', {
          ...redis.env,
          ISSUER: server.issuer,
          DURATION_MS: String(durationSec * 1000),
          SKEW_SEC: String(skewSec),
        }),
      ),
    )
    const times = server.control
      .requests({ endpoint: 'token', grantType: 'client_credentials' })
      .filter((r) => r.clientId === 'fleet')
      .map((r) => r.time)
      .sort((a, b) => a - b)
    const groups: number[] = []
    let last = Number.NEGATIVE_INFINITY
    for (const t of times) {
      if (t - last > (tokenTtlSec * 1000) / 2) groups.push(0)
      groups[groups.length - 1]!++
      last = t
    }
    return {
      deployment,
      processes,
      durationSec,
      tokenTtlSec,
      skewSec,
      calls: members.reduce((n, m) => n + m.calls, 0),
      tokenRequests: times.length,
      expiries: groups.length,
      maxRequestsPerExpiry: Math.max(0, ...groups),
    }
  } finally {
    await server.close()
    await redis.stop()
  }
}
