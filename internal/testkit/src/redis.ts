import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './port.ts'

export interface RedisServer {
  url: string
  port: number
  /** Stops the server (SIGKILL when `hard`, to simulate a crash). */
  stop(hard?: boolean): Promise<void>
  /** Starts it again on the same port, with an empty data set. */
  restart(): Promise<void>
}

let checkedBinary: string | undefined

/**
 * The redis-server to run (`REDIS_SERVER`, else `redis-server` on the PATH), checked once per
 * process: every server a test starts would otherwise run `--version` again, synchronously.
 */
export function redisBinary(): string {
  const bin = process.env.REDIS_SERVER ?? 'redis-server'
  if (checkedBinary === bin) return bin
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `redis-server is required by this test and was not found (${bin}). Install it (Debian: apt-get install redis-server) or set REDIS_SERVER.`,
    )
  }
  checkedBinary = bin
  return bin
}

export function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.end()
        resolve()
      })
      socket.once('error', () => {
        socket.destroy()
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on ${port}`))
        else setTimeout(attempt, 25)
      })
    }
    attempt()
  })
}

/** Starts a real, throw-away redis-server on a free loopback port. */
export async function startRedis(): Promise<RedisServer> {
  const bin = redisBinary()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'openrp-redis-'))
  let child: ChildProcess | undefined

  const start = async () => {
    child = spawn(
      bin,
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
      ],
      { stdio: 'ignore' },
    )
    await waitForPort(port, 10_000)
  }
  const stop = async (hard = false) => {
    const c = child
    child = undefined
    if (!c || c.exitCode !== null) return
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()))
    c.kill(hard ? 'SIGKILL' : 'SIGTERM')
    await exited
  }

  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async (hard) => {
      await stop(hard)
    },
    restart: async () => {
      await stop()
      await start()
    },
  }
}
