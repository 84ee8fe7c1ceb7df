/**
 * The hot path over Redis: TokenManager.getAccessToken() with a valid cached token, over
 * MemoryStore, over RedisStore (local cache on: Redis's client-side caching) and over
 * RedisStore with `localCache: false`, in one process against a real redis-server; and the
 * Redis commands each call costs (INFO commandstats before and after). Prints one JSON line.
 */
import { RedisStore } from '@openrp/node'
import { startReferenceServer } from '@openrp/reference-server'
import { startRedis } from '@openrp/testkit'
import { createClient } from 'redis'
import { allowOnlyLoopback } from '../lib/loopback-guard.ts'
import { compareRates, type Summary } from '../lib/stats.ts'
import { tokenManagerWithSession } from '../subjects/openrp.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)

allowOnlyLoopback()
const redis = await startRedis()
const server = await startReferenceServer({ port: 0 })
const raw = createClient({ url: redis.url })
await raw.connect()

async function commands(): Promise<number> {
  const info = await raw.info('commandstats')
  let total = 0
  for (const match of info.matchAll(/calls=(\d+)/g)) total += Number(match[1])
  return total
}

try {
  // One session each, in three stores.
  const cached = new RedisStore({ url: redis.url, prefix: 'bench-hot:' })
  const uncached = new RedisStore({ url: redis.url, prefix: 'bench-hot-off:', localCache: false })
  const managers = {
    'TokenManager over MemoryStore': await tokenManagerWithSession(server.issuer),
    'TokenManager over RedisStore (local cache)': await tokenManagerWithSession(server.issuer, {
      store: cached,
    }),
    'TokenManager over RedisStore (localCache: false)': await tokenManagerWithSession(
      server.issuer,
      { store: uncached },
    ),
  }
  for (const manager of Object.values(managers)) await manager.getAccessToken()
  const perCall: Record<string, number> = {}
  for (const [name, manager] of Object.entries(managers)) {
    const calls = 20_000
    const before = await commands()
    for (let i = 0; i < calls; i++) await manager.getAccessToken()
    perCall[name] = ((await commands()) - before - 1) / calls
  }
  const rates: Record<string, Summary> = await compareRates(
    Object.fromEntries(
      Object.entries(managers).map(([name, manager]) => [name, () => manager.getAccessToken()]),
    ),
    { rounds: ROUNDS, ms: 500 },
  )
  await cached.close()
  await uncached.close()
  console.log(JSON.stringify({ rates, perCall }))
} finally {
  await raw.close()
  await server.close()
  await redis.stop()
}
