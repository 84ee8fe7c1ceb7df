/**
 * Starts a demo app through its own start script (scripts/serve.ts) on free ports, waits for its
 * ready line and reads the `NAME=value` lines it prints (its URL, its provider, its control
 * endpoint). Shared by the SPA, TV and React demo fixtures.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface DemoProcess {
  child: ChildProcess
  /** The `NAME=value` lines printed before the ready line. */
  values: Map<string, string>
  /** What the process printed (stdout and stderr), for error messages. */
  output: string[]
  /** Throws, with what the process printed, when it has died. */
  assertRunning(): void
  /** Ends the process: SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>
}

export async function startDemoProcess(
  name: string,
  dir: string,
  args: string[],
  readyLine: string,
): Promise<DemoProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=openrp-source', '--import', 'tsx', 'scripts/serve.ts', ...args],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  )
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()))
  const output: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  const values = new Map<string, string>()
  const lines = createInterface({ input: child.stdout! })
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${name} did not start:\n${output.join('')}`)),
      60_000,
    )
    child.once('exit', (code) => {
      clearTimeout(timer)
      fail(new Error(`${name} exited (${code}) before it was ready:\n${output.join('')}`))
    })
    lines.on('line', (line) => {
      output.push(`${line}\n`)
      const match = /^([A-Z_]+)=(.*)$/.exec(line)
      if (match) values.set(match[1]!, match[2]!)
      if (line === readyLine) {
        clearTimeout(timer)
        ok()
      }
    })
  })
  return {
    child,
    values,
    output,
    assertRunning() {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${name} exited (${child.exitCode ?? child.signalCode}):\n${output.join('')}`,
        )
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(killer)
    },
  }
}
