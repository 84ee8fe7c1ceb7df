/**
 * Real Redis deployments for the fleet tests: a Redis Cluster (primaries with replicas, slots
 * assigned by `redis-cli --cluster create`) and a Sentinel-managed primary with a replica, each
 * on free loopback ports, with short failure-detection timeouts so a killed primary fails over in
 * a few seconds.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './port.ts'
import { redisBinary, waitForPort } from './redis.ts'

const run = promisify(execFile)

export interface RedisNode {
  host: string
  port: number
  url: string
}

interface Proc {
  node: RedisNode
  child: ChildProcess
}

function redisCli(): string {
  const server = redisBinary()
  return process.env.REDIS_CLI ?? server.replace(/redis-server$/, 'redis-cli')
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(redisCli(), ['-h', '127.0.0.1', '-p', String(port), ...args], {
    encoding: 'utf8',
  })
  return stdout
}

/** A port p with p + 10000 free too (the cluster bus port). */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort()
    if (port > 55_000) continue
    const { createServer } = await import('node:net')
    const busFree = await new Promise<boolean>((resolve) => {
      const srv = createServer()
      srv.once('error', () => resolve(false))
      srv.listen(port + 10_000, '127.0.0.1', () => srv.close(() => resolve(true)))
    })
    if (busFree) return port
  }
}

async function spawnRedis(port: number, args: string[]): Promise<Proc> {
  const dir = mkdtempSync(join(tmpdir(), 'openrp-redis-'))
  const child = spawn(
    redisBinary(),
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      ...args,
    ],
    { stdio: 'ignore' },
  )
  await waitForPort(port, 10_000)
  return { node: { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}` }, child }
}

async function kill(proc: Proc, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()))
  proc.child.kill(signal)
  await exited
}

async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if (await check()) return
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`Redis test setup: ${what} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export interface RedisCluster {
  /** Every node, primaries first as created. */
  nodes: RedisNode[]
  /** The node currently serving `key`'s slot as primary. */
  primaryFor(key: string): Promise<RedisNode>
  /** SIGKILLs the primary serving `key` and waits until a replica has taken its slots over. */
  killPrimaryFor(key: string): Promise<RedisNode>
  stop(): Promise<void>
}

/**
 * Starts `primaries` primaries with `replicasPerPrimary` replicas each, as one cluster with
 * every slot assigned, and waits for `cluster_state:ok` on every node.
 */
export async function startRedisCluster(
  options: { primaries?: number; replicasPerPrimary?: number; nodeTimeoutMs?: number } = {},
): Promise<RedisCluster> {
  const primaries = options.primaries ?? 3
  const replicas = options.replicasPerPrimary ?? 1
  const nodeTimeout = options.nodeTimeoutMs ?? 1000
  const procs: Proc[] = []
  try {
    for (let i = 0; i < primaries * (1 + replicas); i++) {
      const port = await clusterPort()
      procs.push(
        await spawnRedis(port, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          String(nodeTimeout),
          '--cluster-replica-validity-factor',
          '0',
        ]),
      )
    }
    await run(
      redisCli(),
      [
        '--cluster',
        'create',
        ...procs.map((p) => `127.0.0.1:${p.node.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    )
    for (const p of procs)
      await until('cluster_state:ok', 20_000, async () =>
        (await cli(p.node.port, 'cluster', 'info')).includes('cluster_state:ok'),
      )
  } catch (error) {
    await Promise.all(procs.map((p) => kill(p)))
    throw error
  }
  const alive = () => procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null)
  const primaryFor = async (key: string): Promise<RedisNode> => {
    for (const p of alive()) {
      const slot = (await cli(p.node.port, 'cluster', 'keyslot', key)).trim()
      const nodes = (await cli(p.node.port, 'cluster', 'nodes')).split('\n')
      for (const line of nodes) {
        const fields = line.split(' ')
        if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue
        for (const range of fields.slice(8)) {
          const [from, to = from] = range.split('-').map(Number)
          if (Number(slot) >= (from as number) && Number(slot) <= (to as number)) {
            const port = Number(fields[1]?.split(':')[1]?.split('@')[0])
            const found = procs.find((q) => q.node.port === port)
            if (found) return found.node
          }
        }
      }
    }
    throw new Error(`no primary serves ${key}`)
  }
  return {
    nodes: procs.map((p) => p.node),
    primaryFor,
    async killPrimaryFor(key) {
      const primary = await primaryFor(key)
      const proc = procs.find((p) => p.node === primary) as Proc
      await kill(proc)
      await until('a replica took over', 30_000, async () => {
        const next = await primaryFor(key)
        if (next === primary) return false
        return (await cli(next.port, 'cluster', 'info')).includes('cluster_state:ok')
      })
      return primaryFor(key)
    },
    async stop() {
      await Promise.all(procs.map((p) => kill(p)))
    },
  }
}

export interface RedisSentinelSetup {
  /** The name the sentinels monitor the primary under. */
  masterName: string
  sentinels: RedisNode[]
  /** The primary now, as the sentinels see it. */
  primary(): Promise<RedisNode>
  /** SIGKILLs the primary and waits until the sentinels have promoted the replica. */
  killPrimary(): Promise<RedisNode>
  stop(): Promise<void>
}

/** A primary, one replica and three sentinels (quorum 2), with a 1 s down-after time. */
export async function startRedisSentinel(
  options: { downAfterMs?: number } = {},
): Promise<RedisSentinelSetup> {
  const masterName = 'openrp'
  const downAfter = options.downAfterMs ?? 1000
  const data: Proc[] = []
  const sentinels: Proc[] = []
  try {
    data.push(await spawnRedis(await freePort(), []))
    const primaryPort = (data[0] as Proc).node.port
    data.push(await spawnRedis(await freePort(), ['--replicaof', '127.0.0.1', String(primaryPort)]))
    await until('the replica synced', 20_000, async () =>
      (await cli((data[1] as Proc).node.port, 'info', 'replication')).includes(
        'master_link_status:up',
      ),
    )
    for (let i = 0; i < 3; i++) {
      const port = await freePort()
      const dir = mkdtempSync(join(tmpdir(), 'openrp-sentinel-'))
      const conf = join(dir, 'sentinel.conf')
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${masterName} ${downAfter}`,
          `sentinel failover-timeout ${masterName} 5000`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      )
      const child = spawn(redisBinary(), [conf, '--sentinel'], { stdio: 'ignore' })
      await waitForPort(port, 10_000)
      sentinels.push({ node: { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}` }, child })
    }
    await until('the sentinels saw each other and the replica', 20_000, async () => {
      const out = await cli((sentinels[0] as Proc).node.port, 'sentinel', 'master', masterName)
      const lines = out.trim().split('\n')
      const field = (name: string) => lines[lines.indexOf(name) + 1]
      return Number(field('num-other-sentinels')) === 2 && Number(field('num-slaves')) >= 1
    })
  } catch (error) {
    await Promise.all([...data, ...sentinels].map((p) => kill(p)))
    throw error
  }
  const primary = async (): Promise<RedisNode> => {
    const out = await cli(
      (sentinels[0] as Proc).node.port,
      'sentinel',
      'get-master-addr-by-name',
      masterName,
    )
    const port = Number(out.trim().split('\n')[1])
    const found = data.find((p) => p.node.port === port)
    if (!found) throw new Error(`unknown primary port ${port}`)
    return found.node
  }
  return {
    masterName,
    sentinels: sentinels.map((p) => p.node),
    primary,
    async killPrimary() {
      const before = await primary()
      await kill(data.find((p) => p.node === before) as Proc)
      await until('the sentinels promoted the replica', 30_000, async () => {
        const now = await primary()
        if (now === before) return false
        return (await cli(now.port, 'info', 'replication')).includes('role:master')
      })
      return primary()
    },
    async stop() {
      await Promise.all([...sentinels, ...data].map((p) => kill(p)))
    },
  }
}
