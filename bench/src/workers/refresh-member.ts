/**
 * One process of the refresh-faults fleet (see ../refresh-faults.ts). Prints one JSON line:
 * its calls and its errors by code.
 */
import { runRefreshMember } from '../lib/refresh-member.ts'
import { allowOnlyLoopback } from '../lib/loopback-guard.ts'

allowOnlyLoopback()
const env = (name: string) => {
  const value = process.env[name]
  if (!value) throw new Error(`refresh member: ${name} is not set`)
  return value
}
const result = await runRefreshMember({
  redisUrl: env('REDIS_URL'),
  issuer: env('ISSUER'),
  clientId: env('CLIENT_ID'),
  clientSecret: env('CLIENT_SECRET'),
  prefix: env('PREFIX'),
  durationMs: Number(env('DURATION_MS')),
  timeoutMs: Number(env('TIMEOUT_MS')),
  leaseMs: Number(env('LEASE_MS')),
  index: Number(process.env.MEMBER_INDEX ?? 0),
  subject: process.env.SUBJECT === 'client-credentials' ? 'client-credentials' : 'token-manager',
})
console.log(JSON.stringify(result))
