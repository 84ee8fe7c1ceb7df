import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0 })
})
afterAll(() => server?.close())

describe('loopbackLogin in a CLI process', () => {
  it('after a failed login the process exits promptly, not when timeoutMs runs out', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=openrp-source',
        '--import',
        'tsx',
        join(import.meta.dirname, 'fixtures', 'loopback-login-failing.ts'),
        server.issuer,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
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
    expect(exitedAt - failedAt!).toBeLessThan(1000)
  }, 30_000)
})
