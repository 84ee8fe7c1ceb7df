import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { bundledWorker, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => server?.close())

describe('loopbackLogin in a CLI process', () => {
  it('after a failed login the process exits promptly, not when timeoutMs runs out', async () => {
    // A bundle of the CLI under plain node (no tsx loader).
    const cli = await bundledWorker(
      join(import.meta.dirname, 'fixtures', 'loopback-login-failing.ts'),
    )
    const child = spawn(process.execPath, [cli, server.issuer], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let failedAt: number | undefined
    let stdout = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk
      if (failedAt === undefined && stdout.includes('failed:')) failedAt = Date.now()
    })
    const exitedAt = await new Promise<number>((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      child.once('exit', () => {
        clearTimeout(killer)
        resolve(Date.now())
      })
    })
    expect(stdout).toContain('failed: could not print the URL')
    expect(failedAt).toBeDefined()
    // Nothing of the failed login is left to keep the process alive: no listener, no timer.
    expect(stdout).toContain('alive: []')
    // So it exits on its own, long before its 20 s timeoutMs (the bound is loose: a loaded
    // machine may take a second to tear a process down).
    expect(exitedAt - failedAt!).toBeLessThan(10_000)
  }, 30_000)
})
