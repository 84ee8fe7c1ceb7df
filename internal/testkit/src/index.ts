export { startRedis, type RedisServer } from './redis.ts'
export { chromiumPath, chromiumArgs } from './chromium.ts'
export { freePort } from './port.ts'
export { ManualClock, flush } from './manual-clock.ts'
export {
  type RedisCluster,
  type RedisNode,
  type RedisSentinelSetup,
  startRedisCluster,
  startRedisSentinel,
} from './redis-topologies.ts'
export { bundledWorker } from './worker-bundle.ts'
export { type FixedKeyAlg, fixedKeyPairs } from './signing-keys.ts'
