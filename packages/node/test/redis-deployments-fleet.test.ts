// A fleet of processes sharing one user session through TokenManager on RedisStore + RedisLock,
// on each supported Redis deployment: one refresh per expiry, and a primary killed mid-run
// loses no session (or, where nothing can save it, ends it with `expired` in every member).
import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import { type Client, discover, TokenSet } from '@openrp/core'
import { completeLogin, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import {
  bundledWorker,
  type RedisCluster,
  type RedisSentinelSetup,
  type RedisServer,
  startRedis,
  startRedisCluster,
  startRedisSentinel,
  fixedKeyPairs,
} from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisConnectionOptions } from '../src/internal/redis-connection.ts'
import { RedisStore } from '../src/redis-store.ts'

const MEMBERS = 4
let server: ReferenceServer
let client: Client
let redis: RedisServer | undefined
let cluster: RedisCluster | undefined
let sentinel: RedisSentinelSetup | undefined
/**
 * The fleet: four processes started once for the file; each test gives every member a fresh
 * TokenManager, store and lock on its deployment (`useDeployment`).
 */
let members: Member[] = []
const WORKER = join(import.meta.dirname, 'fixtures', 'tm-worker.ts')

// The reference server and the three deployments start together.
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  const results = await Promise.allSettled([
    discover(server.issuer, {
      clientId: 'web',
      clientSecret: 'web-secret',
      redirectUri: 'http://127.0.0.1:4002/callback',
      scope: 'openid offline_access api:read',
    }).then((c) => {
      client = c
    }),
    startRedis().then((r) => {
      redis = r
    }),
    startRedisCluster().then((c) => {
      cluster = c
    }),
    startRedisSentinel().then((s) => {
      sentinel = s
    }),
    // Built once here, the members' bundle makes each test's fork cheap.
    bundledWorker(WORKER),
  ])
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
  members = await Promise.all(Array.from({ length: MEMBERS }, () => startMember()))
}, 60_000)
afterAll(async () => {
  for (const m of members) m.child.kill('SIGKILL')
  await Promise.all([redis?.stop(), cluster?.stop(), sentinel?.stop(), server?.close()])
})

interface Member {
  child: ChildProcess
  expired: number
  /** Replaces the member's TokenManager, store and lock with fresh ones on `connection`. */
  use(connection: RedisConnectionOptions): Promise<void>
  get(): Promise<{ token?: string; error?: string }>
}

async function startMember(): Promise<Member> {
  const child = fork(await bundledWorker(WORKER), [server.issuer], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let next = 0
  const waiting = new Map<number, (answer: { token?: string; error?: string }) => void>()
  const ask = (message: object) =>
    new Promise<{ token?: string; error?: string }>((resolve) => {
      const id = next++
      waiting.set(id, resolve)
      child.send({ ...message, id })
    })
  const member: Member = {
    child,
    expired: 0,
    async use(connection) {
      const answer = await ask({ cmd: 'use', connection })
      if (answer.error) throw new Error(`member could not use the deployment: ${answer.error}`)
      member.expired = 0
    },
    get: () => ask({ cmd: 'get' }),
  }
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: 'ready' | { id?: number; event?: string; token?: string }) => {
      if (m === 'ready') return resolve()
      if (m.event === 'expired') member.expired++
      else if (m.id !== undefined) {
        waiting.get(m.id)?.(m)
        waiting.delete(m.id)
      }
    })
    child.once('exit', (code) => reject(new Error(`member exited early (${code})`)))
  })
  return member
}

/**
 * Gives every member a fresh TokenManager, store and lock on `connection` (and resets its count
 * of `expired` events): nothing of the previous test's deployment is used again.
 */
async function useDeployment(connection: RedisConnectionOptions): Promise<void> {
  await Promise.all(members.map((m) => m.use(connection)))
}

async function loggedInSet(): Promise<TokenSet> {
  const { url, transaction } = await client.createAuthorizationRequest({ prompt: 'consent' })
  const done = await completeLogin(url, { username: 'alice', password: 'wonderland' })
  return client.handleAuthorizationResponse(done.url, transaction)
}

/** Puts the session in the shared store as a set due for refresh. */
async function seedExpired(connection: RedisConnectionOptions, set: TokenSet): Promise<void> {
  const store = new RedisStore({ ...connection, prefix: 'fleet-tm:' })
  try {
    await store.set('user:alice', { ...set.toJSON(), expiresAt: Math.floor(Date.now() / 1000) - 5 })
  } finally {
    await store.close()
  }
}

async function readStored(connection: RedisConnectionOptions): Promise<TokenSet | undefined> {
  const store = new RedisStore({ ...connection, prefix: 'fleet-tm:', localCache: false })
  try {
    const json = await store.get<ReturnType<TokenSet['toJSON']>>('user:alice')
    return json && TokenSet.fromJSON(json)
  } finally {
    await store.close()
  }
}

const refreshes = () => server.control.requests({ endpoint: 'token', grantType: 'refresh_token' })

async function everyoneGets(): Promise<{ token?: string; error?: string }[]> {
  return Promise.all(members.flatMap((m) => [m.get(), m.get(), m.get()]))
}

/**
 * One refresh per expiry; then a primary killed in the middle of a refresh: the session lives on
 * (one token for everyone), or, where nothing can save it, ends in every member with `expired`
 * and no member loops.
 */
async function fleetScenario(
  connection: RedisConnectionOptions,
  killPrimary?: () => Promise<void>,
) {
  await useDeployment(connection)
  const set = await loggedInSet()
  await seedExpired(connection, set)
  server.control.clearRequests()

  const first = await everyoneGets()
  // Every answer is a token (an answer without one shows its error code).
  expect(first.filter((a) => !a.token)).toEqual([])
  expect(new Set(first.map((a) => a.token)).size).toBe(1)
  expect(refreshes()).toHaveLength(1)
  if (!killPrimary) return

  // The session is due again, and the primary dies in the middle of its refresh: the provider
  // has rotated the refresh token, its answer waits, the lock holder's Redis goes away.
  await seedExpired(connection, (await readStored(connection)) as TokenSet)
  server.control.clearRequests()
  const hold = server.control.hold({ endpoint: 'token', grantType: 'refresh_token', times: 1 })
  const asking = everyoneGets()
  await hold.waitUntilHeld(1, { timeoutMs: 20_000 })
  await killPrimary()
  hold.release()
  await asking
  const after = await eventuallyAll()
  const tokens = new Set(after.map((a) => a.token).filter(Boolean))
  if (after.every((a) => a.token)) {
    // The session lived: one token for everyone. Redis replicates asynchronously, so across a
    // failover a lock may be granted twice: one more refresh request may go out, never a loop.
    expect(tokens.size).toBe(1)
    expect(refreshes().length).toBeGreaterThanOrEqual(1)
    expect(refreshes().length).toBeLessThanOrEqual(2)
  } else {
    // Nothing could save it: it ended everywhere, with `expired`, and no member loops.
    for (const m of members) expect(m.expired).toBeGreaterThan(0)
    expect(refreshes().length).toBeLessThanOrEqual(2)
  }
}

/** Asks everyone until no answer is a STORE_ERROR (the failover is over), for at most 20 s. */
async function eventuallyAll(): Promise<{ token?: string; error?: string }[]> {
  const started = Date.now()
  for (;;) {
    const answers = await everyoneGets()
    if (!answers.some((a) => a.error === 'STORE_ERROR') || Date.now() - started > 20_000)
      return answers
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

describe('a fleet of 4 processes sharing a session (TokenManager, RedisStore + RedisLock)', () => {
  it('one server: one refresh per expiry', async () => {
    await fleetScenario({ url: (redis as RedisServer).url })
  }, 60_000)

  it('a Redis Cluster: one refresh per expiry, and through the failover of the primary', async () => {
    const deployment = cluster as RedisCluster
    const connection = { cluster: { rootNodes: deployment.nodes.map((n) => n.url) } }
    // killPrimaryFor() first waits for the replica to have every write (the seeded session too).
    await fleetScenario(connection, async () => {
      await deployment.killPrimaryFor('fleet-tm:user:alice')
    })
  }, 120_000)

  it('Sentinel: one refresh per expiry, and through the failover of the primary', async () => {
    const deployment = sentinel as RedisSentinelSetup
    const connection = {
      sentinel: { name: deployment.masterName, sentinels: deployment.sentinels.map((n) => n.url) },
    }
    await fleetScenario(connection, async () => {
      await deployment.killPrimary()
    })
  }, 120_000)
})
