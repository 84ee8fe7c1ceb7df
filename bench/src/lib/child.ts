import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BENCH_DIR = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Runs a worker script (TypeScript, from sources like the runner) in a fresh Node process and
 * returns the JSON it prints as its last stdout line. Its stderr is passed through. Rejects,
 * with the worker's output (and the end of its stderr), when it exits non-zero. With
 * `openrpSource: false` the worker imports openrp's packages from their built dist, as users
 * do (build them first: `ensureBuilt`).
 */
export function runWorker<T>(
  script: string,
  env: Record<string, string> = {},
  timeoutMs = 180_000,
  { openrpSource = true }: { openrpSource?: boolean } = {},
): Promise<T> {
  const path = fileURLToPath(new URL(`../workers/${script}`, import.meta.url))
  const conditions = openrpSource ? ['--conditions=openrp-source'] : []
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...conditions, '--import', 'tsx', path], {
      cwd: BENCH_DIR,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d
    })
    child.stderr.on('data', (d: Buffer) => {
      process.stderr.write(d)
      err = (err + d).slice(-4000)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      const last = out.trim().split('\n').pop() ?? ''
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code ?? signal}\n${out}\n${err}`))
        return
      }
      try {
        resolve(JSON.parse(last) as T)
      } catch {
        reject(new Error(`${script} printed no JSON result:\n${out}`))
      }
    })
  })
}

export { BENCH_DIR }
