import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { type RedisServer, startRedis } from '@openrp/testkit'
import { expect, test } from '@playwright/test'
import { startDemo } from './node-demo.ts'

// The daemon (demo-node/src/daemon.ts) run twice against one reference server: its API calls
// succeed, and the second run reuses the cached M2M token (file store, then Redis) — asserted
// at the server by counting client_credentials requests.

// Each test runs the daemon (a cold tsx start) twice.
test.describe.configure({ timeout: 120_000 })

const EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'
let server: ReferenceServer
test.beforeAll(async () => {
  server = await startReferenceServer({ port: 0 })
})
test.afterAll(() => server.close())
test.beforeEach(() => server.control.clearRequests())

const clientCredentialsRequests = () =>
  server.control.requests({ endpoint: 'token', grantType: 'client_credentials' })

async function runDaemon(env: Record<string, string>) {
  const daemon = startDemo('daemon', { ISSUER: server.issuer, ...env })
  const code = await daemon.exited
  return { code, out: daemon.stdout(), err: daemon.stderr() }
}

function value(out: string, key: string): string | undefined {
  return new RegExp(`^${key}=(.*)$`, 'm').exec(out)?.[1]
}

test("the daemon calls the API, then on the user's behalf; a second run reuses the cached token (file store)", async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'openrp-daemon-'))
  try {
    const first = await runDaemon({ TOKEN_CACHE_DIR: cacheDir })
    expect(first.code, first.out + first.err).toBe(0)
    expect(value(first.out, 'M2M_TOKEN')).toBe('new')
    expect(value(first.out, 'API_STATUS')).toBe('200')
    expect(value(first.out, 'DOWNSTREAM_STATUS')).toBe('200')
    expect(first.out).toContain('Alice Liddell')
    expect(first.out).toMatch(/downstream token: subject \S+, actor m2m/)
    expect(await readdir(cacheDir)).toHaveLength(1)

    const second = await runDaemon({ TOKEN_CACHE_DIR: cacheDir })
    expect(second.code, second.out + second.err).toBe(0)
    expect(value(second.out, 'M2M_TOKEN')).toBe('cached')
    expect(second.out).toContain('reused the cached token')
    expect(value(second.out, 'API_STATUS')).toBe('200')
    expect(value(second.out, 'DOWNSTREAM_STATUS')).toBe('200')

    // At the server: one client_credentials request across both runs, every API call served.
    expect(clientCredentialsRequests()).toHaveLength(1)
    expect(server.control.requests({ endpoint: 'token', grantType: EXCHANGE_GRANT })).toHaveLength(
      2,
    )
    const api = server.control.requests({ endpoint: 'api' })
    expect(api.map((r) => r.status)).toEqual([200, 200, 200, 200])
    // No token is ever printed.
    expect(first.out + second.out).not.toMatch(/eyJ[\w-]+\.eyJ/)
  } finally {
    await rm(cacheDir, { recursive: true, force: true })
  }
})

test('with REDIS_URL the token is cached in Redis: one token request across two runs', async () => {
  let redis: RedisServer | undefined
  try {
    redis = await startRedis()
    const first = await runDaemon({ REDIS_URL: redis.url })
    expect(first.code, first.out + first.err).toBe(0)
    expect(value(first.out, 'M2M_TOKEN')).toBe('new')
    expect(first.out).toContain('Redis')
    const second = await runDaemon({ REDIS_URL: redis.url })
    expect(second.code, second.out + second.err).toBe(0)
    expect(value(second.out, 'M2M_TOKEN')).toBe('cached')
    expect(clientCredentialsRequests()).toHaveLength(1)
    expect(server.control.requests({ endpoint: 'api' }).map((r) => r.status)).toEqual([
      200, 200, 200, 200,
    ])
  } finally {
    await redis?.stop()
  }
})

test("a wrong client secret fails with the provider's error code and no API call", async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'openrp-daemon-'))
  try {
    const run = await runDaemon({ TOKEN_CACHE_DIR: cacheDir, CLIENT_SECRET: 'wrong' })
    expect(run.code).toBe(1)
    expect(value(run.out, 'ERROR')).toBe('OAUTH_ERROR')
    expect(server.control.requests({ endpoint: 'api' })).toHaveLength(0)
    // No token is cached; at most the failure record that spares the provider a retry storm.
    const files = await readdir(cacheDir).catch(() => [])
    expect(files.length).toBeLessThanOrEqual(1)
    for (const file of files) {
      expect(await readFile(join(cacheDir, file), 'utf8')).not.toContain('accessToken')
    }
  } finally {
    await rm(cacheDir, { recursive: true, force: true })
  }
})

test('one command: without ISSUER the daemon starts its own reference server and succeeds', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'openrp-daemon-'))
  try {
    const daemon = startDemo('daemon', { TOKEN_CACHE_DIR: cacheDir })
    const code = await daemon.exited
    const out = daemon.stdout()
    expect(code, out + daemon.stderr()).toBe(0)
    expect(value(out, 'ISSUER')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(value(out, 'ISSUER')).not.toBe(server.issuer)
    expect(value(out, 'API_STATUS')).toBe('200')
    expect(value(out, 'DOWNSTREAM_STATUS')).toBe('200')
    expect(server.control.requests()).toHaveLength(0)
  } finally {
    await rm(cacheDir, { recursive: true, force: true })
  }
})
