import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { bundledWorker, type RedisServer, startRedis, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const WORKERS = 8
const CALLERS_PER_WORKER = 5
// Long enough that a loaded machine never sees the first token near its expiry while the fleet
// queues on the lock; the members' clocks are moved past it.
const TOKEN_TTL_SEC = 60

let server: ReferenceServer
let redis: RedisServer
const workers: ChildProcess[] = []

beforeAll(async () => {
  redis = await startRedis()
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    accessTokenTtl: TOKEN_TTL_SEC,
  })
})
afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL')
  await server?.close()
  await redis?.stop()
})

async function startWorker(): Promise<ChildProcess> {
  const worker = fork(
    await bundledWorker(join(import.meta.dirname, 'fixtures', 'cc-worker.ts')),
    [server.issuer, redis.url, String(CALLERS_PER_WORKER)],
    { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  )
  workers.push(worker)
  return new Promise((resolve, reject) => {
    worker.once('message', (m) => (m === 'ready' ? resolve(worker) : reject(new Error(String(m)))))
    worker.once('exit', (code) => reject(new Error(`worker exited early (${code})`)))
  })
}

function askAll(): Promise<string[]> {
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<string[]>((resolve, reject) => {
          worker.once('message', (m: { tokens?: string[]; error?: string }) =>
            m.tokens ? resolve(m.tokens) : reject(new Error(`worker failed: ${m.error}`)),
          )
          worker.send('go')
        }),
    ),
  ).then((lists) => lists.flat())
}

/** Moves every member's clock forward by `ms`. */
function advanceAll(ms: number): Promise<void> {
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.once('message', () => resolve())
          worker.send({ advance: ms })
        }),
    ),
  ).then(() => undefined)
}

const tokenRequests = () =>
  server.control.requests({ endpoint: 'token', grantType: 'client_credentials' })

describe('ClientCredentialsProvider across a fleet (8 processes, RedisStore + RedisLock)', () => {
  it('makes exactly 1 token request on an empty cache, and exactly 1 again after expiry', async () => {
    await Promise.all(Array.from({ length: WORKERS }, startWorker))
    server.control.clearRequests()

    const first = await askAll()
    expect(first).toHaveLength(WORKERS * CALLERS_PER_WORKER)
    expect(tokenRequests()).toHaveLength(1)
    expect(new Set(first).size).toBe(1)

    // Past the token's life (minus skew) on every member's clock.
    await advanceAll(TOKEN_TTL_SEC * 1000 + 500)
    server.control.clearRequests()

    const second = await askAll()
    expect(tokenRequests()).toHaveLength(1)
    expect(new Set(second).size).toBe(1)
    expect(second[0]).not.toBe(first[0])

    for (const worker of workers) worker.send('exit')
  }, 180_000)
})
