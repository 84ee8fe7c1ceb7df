export { startRedis, type RedisServer } from './redis.ts'
export { chromiumPath, chromiumArgs } from './chromium.ts'
export { freePort } from './port.ts'
export { ManualClock, flush } from './manual-clock.ts'
