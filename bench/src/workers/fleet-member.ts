/**
 * One process of the fleet: a ClientCredentialsProvider on the shared RedisStore + RedisLock,
 * called by CONCURRENCY loops until DURATION_MS has passed. Prints one JSON line.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { discover } from '@openrp/core'
import { ClientCredentialsProvider, RedisLock, RedisStore } from '@openrp/node'
import { allowOnlyLoopback } from '../lib/loopback-guard.ts'

allowOnlyLoopback()
const env = (name: string) => {
  const value = process.env[name]
  if (!value) throw new Error(`fleet member: ${name} is not set`)
  return value
}
const cluster = process.env.REDIS_CLUSTER
const connection = cluster
  ? { cluster: { rootNodes: cluster.split(',') } }
  : { url: env('REDIS_URL') }
const durationMs = Number(env('DURATION_MS'))
const concurrency = Number(process.env.CONCURRENCY ?? 4)
const skewSec = Number(env('SKEW_SEC'))

const store = new RedisStore({ ...connection, prefix: 'bench:' })
const lock = new RedisLock({ ...connection, prefix: 'bench:lock:' })
const client = await discover(env('ISSUER'), { clientId: 'fleet', clientSecret: 'fleet-secret' })
const provider = new ClientCredentialsProvider({
  client,
  store,
  lock,
  skewSec,
})

let calls = 0
const until = Date.now() + durationMs
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) {
      await provider.getToken({ scope: 'api:read' })
      calls++
      await sleep(5)
    }
  }),
)
await provider.close()
await store.close()
await lock.close()
console.log(JSON.stringify({ calls }))
