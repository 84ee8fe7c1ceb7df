/**
 * Real Redis deployments for the fleet tests: a Redis Cluster (primaries with replicas, every
 * slot assigned) and a Sentinel-managed primary with a replica, each on free loopback ports, with
 * short failure-detection timeouts so a killed primary fails over in a few seconds. Servers start in parallel, replicas sync at once (no diskless-sync delay) and
 * the sentinels start knowing each other, so a topology is ready in about a second.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { freePort } from './port.ts'
import { redisBinary } from './redis.ts'
import { redisCommand } from './redis-command.ts'

export interface RedisNode {
  host: string
  port: number
  url: string
}

interface Proc {
  node: RedisNode
  child: ChildProcess
}

/** One command to the node on `port`, its reply as `redis-cli` prints it raw. */
function cli(port: number, ...args: string[]): Promise<string> {
  return redisCommand(port, args)
}

/** A port p with p + 10000 free too (the cluster bus port), none of them in `taken`. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort()
    if (port > 55_000 || taken.has(port) || taken.has(port + 10_000)) continue
    const busFree = await new Promise<boolean>((resolve) => {
      const srv = createServer()
      srv.once('error', () => resolve(false))
      srv.listen(port + 10_000, '127.0.0.1', () => srv.close(() => resolve(true)))
    })
    if (busFree) {
      taken.add(port).add(port + 10_000)
      return port
    }
  }
}

/**
 * Awaits every start; when one failed, stops the ones that started and throws its error (so a
 * failed setup leaves no server behind).
 */
async function settled(starts: Promise<Proc>[]): Promise<Proc[]> {
  const results = await Promise.allSettled(starts)
  const failed = results.find((r) => r.status === 'rejected')
  const procs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  if (failed) {
    await Promise.all(procs.map((p) => kill(p)))
    throw failed.reason
  }
  return procs
}

/**
 * Spawns `redis-server` with `argsFor(port)` on a port from `pickPort` and waits until it
 * listens. A server that exits at start (another process took the port in the meantime) is
 * tried again on another port.
 */
async function spawnOn(
  pickPort: () => Promise<number>,
  argsFor: (port: number) => string[],
): Promise<Proc> {
  for (let attempt = 1; ; attempt++) {
    const port = await pickPort()
    const child = spawn(redisBinary(), argsFor(port), { stdio: 'ignore' })
    const proc: Proc = {
      node: { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}` },
      child,
    }
    if (await listening(proc, 10_000)) return proc
    await kill(proc)
    if (attempt === 3) throw new Error(`redis-server exited at start on port ${port}`)
  }
}

/** Whether `proc` listens within `timeoutMs` (false when it exited first). */
async function listening(proc: Proc, timeoutMs: number): Promise<boolean> {
  const exited = () => proc.child.exitCode !== null || proc.child.signalCode !== null
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exited()) return false
    if (await connects(proc.node.port)) {
      // Connected: to this server, unless it exited meanwhile (another one has the port).
      await new Promise((resolve) => setTimeout(resolve, 20))
      return !exited()
    }
    if (Date.now() > deadline) {
      await kill(proc)
      throw new Error(`redis-server did not listen on ${proc.node.port} within ${timeoutMs} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.end()
      resolve(true)
    })
    socket.once('error', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

/** A data node's arguments: no persistence, replicas sync at once. */
function dataArgs(port: number, args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'openrp-redis-'))
  return [
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
    // A replica's first sync starts at once instead of after the default 5 s wait for more
    // replicas to share a diskless transfer.
    '--repl-diskless-sync-delay',
    '0',
    ...args,
  ]
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
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function infoField(info: string, name: string): string | undefined {
  return info.match(new RegExp(`^${name}:(.*)$`, 'm'))?.[1]?.trim()
}

/**
 * Waits until the replica on `replicaPort` has everything its primary on `primaryPort` has
 * written so far (its replication offset reached the primary's), so a failover loses nothing
 * written before the call.
 */
async function caughtUp(primaryPort: number, replicaPort: number): Promise<void> {
  const target = Number(
    infoField(await cli(primaryPort, 'info', 'replication'), 'master_repl_offset'),
  )
  await until('the replica caught up', 20_000, async () => {
    const info = await cli(replicaPort, 'info', 'replication')
    return (
      infoField(info, 'master_link_status') === 'up' &&
      Number(infoField(info, 'slave_repl_offset')) >= target
    )
  })
}

async function ok(port: number, ...args: string[]): Promise<void> {
  const reply = (await cli(port, ...args)).trim()
  if (reply !== 'OK') throw new Error(`Redis test setup: ${args.join(' ')} on ${port}: ${reply}`)
}

/**
 * What `redis-cli --cluster create` does, without its one-second polls: the first `primaries`
 * nodes share the slots, every node meets the others, then the rest replicate the primaries in
 * turn.
 */
async function formCluster(procs: Proc[], primaries: number): Promise<void> {
  const slots = 16_384
  await Promise.all(
    procs.map((p, i) => ok(p.node.port, 'cluster', 'set-config-epoch', String(i + 1))),
  )
  await Promise.all(
    procs.slice(0, primaries).map((p, i) => {
      const from = Math.floor((i * slots) / primaries)
      const to = Math.floor(((i + 1) * slots) / primaries)
      const range = Array.from({ length: to - from }, (_, k) => String(from + k))
      return ok(p.node.port, 'cluster', 'addslots', ...range)
    }),
  )
  const first = procs[0] as Proc
  await Promise.all(
    procs
      .slice(1)
      .map((p) => ok(first.node.port, 'cluster', 'meet', '127.0.0.1', String(p.node.port))),
  )
  await Promise.all(
    procs.map((p) =>
      until('the nodes met', 20_000, async () => {
        const lines = (await cli(p.node.port, 'cluster', 'nodes')).trim().split('\n')
        return (
          lines.length === procs.length &&
          lines.every((line) => !/handshake|noaddr/.test(line.split(' ')[2] ?? ''))
        )
      }),
    ),
  )
  const ids = await Promise.all(
    procs.slice(0, primaries).map(async (p) => (await cli(p.node.port, 'cluster', 'myid')).trim()),
  )
  await Promise.all(
    procs
      .slice(primaries)
      .map((p, j) => ok(p.node.port, 'cluster', 'replicate', ids[j % primaries] as string)),
  )
}

/** Waits until every live replica among `procs` has caught up with its live primary. */
async function replicated(procs: Proc[]): Promise<void> {
  const live = procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null)
  await Promise.all(
    live.map(async (p) => {
      const info = await cli(p.node.port, 'info', 'replication')
      if (infoField(info, 'role') !== 'slave') return
      const primaryPort = Number(infoField(info, 'master_port'))
      if (!live.some((q) => q.node.port === primaryPort)) return
      await caughtUp(primaryPort, p.node.port)
    }),
  )
}

export interface RedisCluster {
  /** Every node, primaries first as created. */
  nodes: RedisNode[]
  /** The node currently serving `key`'s slot as primary. */
  primaryFor(key: string): Promise<RedisNode>
  /**
   * Once the replicas have every write so far (`replicated()`), SIGKILLs the primary serving
   * `key` and waits until a replica has taken its slots over.
   */
  killPrimaryFor(key: string): Promise<RedisNode>
  /** Waits until every replica has what its primary has been written so far. */
  replicated(): Promise<void>
  stop(): Promise<void>
}

/**
 * Starts `primaries` primaries with `replicasPerPrimary` replicas each, as one cluster with
 * every slot assigned, and waits for `cluster_state:ok` on every node. Replicas may still be
 * syncing: `replicated()` (which `killPrimaryFor()` calls first) waits for them.
 */
export async function startRedisCluster(
  options: { primaries?: number; replicasPerPrimary?: number; nodeTimeoutMs?: number } = {},
): Promise<RedisCluster> {
  const primaries = options.primaries ?? 3
  const replicas = options.replicasPerPrimary ?? 1
  const nodeTimeout = options.nodeTimeoutMs ?? 1000
  const procs: Proc[] = []
  try {
    const taken = new Set<number>()
    const started = Array.from({ length: primaries * (1 + replicas) }, () =>
      spawnOn(
        () => clusterPort(taken),
        (port) =>
          dataArgs(port, [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            String(nodeTimeout),
            '--cluster-replica-validity-factor',
            '0',
          ]),
      ),
    )
    procs.push(...(await settled(started)))
    await formCluster(procs, primaries)
    await Promise.all(
      procs.map((p) =>
        until('cluster_state:ok', 20_000, async () =>
          (await cli(p.node.port, 'cluster', 'info')).includes('cluster_state:ok'),
        ),
      ),
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
      await replicated(procs)
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
    replicated: () => replicated(procs),
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
  /**
   * Once the replica has every write so far (`replicated()`), SIGKILLs the primary and waits
   * until the sentinels have promoted the replica.
   */
  killPrimary(): Promise<RedisNode>
  /** Waits until the replica has what the primary has been written so far. */
  replicated(): Promise<void>
  stop(): Promise<void>
}

/**
 * A primary, one replica and three sentinels (quorum 2), with a 1 s down-after time. The
 * sentinels start together, each configured with the others and the replica (as a sentinel
 * rewrites its own configuration once it has met them), instead of discovering them over hello
 * messages sent every 2 s.
 */
export async function startRedisSentinel(
  options: { downAfterMs?: number } = {},
): Promise<RedisSentinelSetup> {
  const masterName = 'openrp'
  const downAfter = options.downAfterMs ?? 1000
  const data: Proc[] = []
  const sentinels: Proc[] = []
  try {
    const first = await spawnOn(freePort, (port) => dataArgs(port, []))
    data.push(first)
    const primaryPort = first.node.port
    const replica = await spawnOn(freePort, (port) =>
      dataArgs(port, ['--replicaof', '127.0.0.1', String(primaryPort)]),
    )
    data.push(replica)
    for (let attempt = 1; sentinels.length === 0; attempt++) {
      const ports = [await freePort(), await freePort(), await freePort()]
      const ids = ports.map(() => randomBytes(20).toString('hex'))
      const group = ports.map((port, i): Proc => {
        const dir = mkdtempSync(join(tmpdir(), 'openrp-sentinel-'))
        const conf = join(dir, 'sentinel.conf')
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            `sentinel myid ${ids[i]}`,
            `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} 2`,
            `sentinel down-after-milliseconds ${masterName} ${downAfter}`,
            `sentinel failover-timeout ${masterName} 5000`,
            `sentinel parallel-syncs ${masterName} 1`,
            `sentinel known-replica ${masterName} 127.0.0.1 ${replica.node.port}`,
            ...ports.flatMap((other, j) =>
              j === i ? [] : [`sentinel known-sentinel ${masterName} 127.0.0.1 ${other} ${ids[j]}`],
            ),
            '',
          ].join('\n'),
        )
        const child = spawn(redisBinary(), [conf, '--sentinel'], { stdio: 'ignore' })
        return { node: { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}` }, child }
      })
      // The sentinels' configurations name each other: one that could not take its port means
      // starting the three again on other ports.
      const up = await Promise.allSettled(group.map((p) => listening(p, 10_000)))
      if (up.every((r) => r.status === 'fulfilled' && r.value)) sentinels.push(...group)
      else {
        await Promise.all(group.map((p) => kill(p)))
        const failed = up.find((r): r is PromiseRejectedResult => r.status === 'rejected')
        if (failed) throw failed.reason
        if (attempt === 3) throw new Error('a sentinel exited at start three times')
      }
    }
    // A sentinel that came up before its peers marks them down once (+sdown, -sdown events a
    // client reconnects on): ready means every link of every sentinel is up and has answered.
    await Promise.all(
      sentinels.map((s) =>
        until('the sentinels saw each other and the replica', 20_000, async () => {
          const links = await Promise.all(
            ['master', 'sentinels', 'replicas'].map(async (what) =>
              (await cli(s.node.port, 'sentinel', what, masterName)).trim().split('\n'),
            ),
          )
          const values = (name: string) =>
            links.flatMap((lines) =>
              lines.flatMap((line, i) => (line === name ? [lines[i + 1]] : [])),
            )
          const [master] = links as [string[]]
          const field = (name: string) => master[master.indexOf(name) + 1]
          return (
            Number(field('num-other-sentinels')) === 2 &&
            Number(field('num-slaves')) >= 1 &&
            values('flags').every((flags) => !/disconnected|s_down|o_down/.test(flags ?? '')) &&
            // A link still waiting for its first reply shows the ping as sent at its creation.
            values('last-ping-sent').every((ms) => Number(ms) < downAfter / 2)
          )
        }),
      ),
    )
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
      await replicated(data)
      const before = await primary()
      await kill(data.find((p) => p.node === before) as Proc)
      await until('the sentinels promoted the replica', 30_000, async () => {
        const now = await primary()
        if (now === before) return false
        return (await cli(now.port, 'info', 'replication')).includes('role:master')
      })
      return primary()
    },
    replicated: () => replicated(data),
    async stop() {
      await Promise.all([...sentinels, ...data].map((p) => kill(p)))
    },
  }
}
