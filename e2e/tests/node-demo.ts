/**
 * Runs a demo-node app (tv, daemon, cli-login) as a child process from the sources, and reads
 * its `KEY=value` lines.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Page } from '@playwright/test'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export interface DemoProcess {
  readonly child: ChildProcessWithoutNullStreams
  /** Everything written to stdout so far. */
  stdout(): string
  stderr(): string
  /** Waits for a `KEY=value` line and returns the value. */
  value(key: string, timeoutMs?: number): Promise<string>
  /** Waits until stdout matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  /** Resolves with the exit code (or the signal name) once the process ends. */
  exited: Promise<number | string>
}

export function startDemo(
  name: 'tv' | 'daemon' | 'cli-login',
  env: Record<string, string>,
): DemoProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=openrp-source', '--import', 'tsx', `demo-node/src/${name}.ts`],
    {
      cwd: repoRoot,
      // Never open a real browser from a test: the Playwright page plays the user's browser.
      env: { ...process.env, BROWSER: 'none', FORCE_COLOR: '0', ...env },
      stdio: 'pipe',
    },
  )
  let out = ''
  let err = ''
  const listeners = new Set<() => void>()
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    out += chunk
    for (const listener of listeners) listener()
  })
  child.stderr.on('data', (chunk: string) => {
    err += chunk
  })
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const listener of listeners) listener()
      resolve(code ?? signal ?? 'unknown')
    })
  })
  let ended = false
  void exited.then(() => {
    ended = true
  })

  function waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(out)
        if (match) {
          done()
          resolve(match)
        } else if (ended) {
          done()
          reject(
            new Error(
              `${name} exited before printing ${pattern}\n--- stdout\n${out}\n--- stderr\n${err}`,
            ),
          )
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(
          new Error(
            `${name} did not print ${pattern} in ${timeoutMs} ms\n--- stdout\n${out}\n--- stderr\n${err}`,
          ),
        )
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        listeners.delete(check)
      }
      listeners.add(check)
      check()
    })
  }

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    value: async (key, timeoutMs) => {
      const match = await waitFor(new RegExp(`^${key}=(.*)$`, 'm'), timeoutMs)
      return match[1] as string
    },
    exited,
  }
}

/** Stops a demo that is still running (test cleanup). */
export async function stopDemo(demo: DemoProcess | undefined): Promise<void> {
  if (!demo || demo.child.exitCode !== null || demo.child.signalCode !== null) return
  demo.child.kill('SIGKILL')
  await demo.exited
}

/** Signs in on the reference server's login page shown in `page`. */
export async function signIn(
  page: Page,
  username = 'alice',
  password = 'wonderland',
): Promise<void> {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}
