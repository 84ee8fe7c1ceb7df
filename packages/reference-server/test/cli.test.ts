import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundledWorker } from '@openrp/testkit'
import { afterEach, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..', '..')
const cli = join(import.meta.dirname, '..', 'src', 'cli.ts')
let child: ChildProcess | undefined

afterEach(() => {
  child?.kill()
  child = undefined
})

/**
 * Starts the CLI (its sources bundled once, run by plain node) and resolves with its output once
 * the banner is printed.
 */
async function run(args: string[]): Promise<string> {
  const bundle = await bundledWorker(cli)
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, [bundle, ...args], { cwd: root })
    let out = ''
    const timer = setTimeout(() => reject(new Error(`CLI did not start:\n${out}`)), 20_000)
    child.stdout?.on('data', (chunk) => {
      out += chunk
      if (out.includes('users:') && out.trimEnd().split('\n').at(-1)?.includes('sub ')) {
        clearTimeout(timer)
        resolve(out)
      }
    })
    child.stderr?.on('data', (chunk) => {
      out += chunk
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`CLI exited with ${code}:\n${out}`))
    })
  })
}

it('prints the issuer, the demo clients and users, and serves discovery', async () => {
  const out = await run(['--port', '0', '--quiet'])
  const issuer = /issuer:\s+(\S+)/.exec(out)![1]!
  expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  expect(out).toContain('spa')
  expect(out).toContain('m2m-secret')
  expect(out).toContain('http://127.0.0.1:4001/callback.html')
  expect(out).toContain('alice / wonderland')
  const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()
  expect(meta.issuer).toBe(issuer)
}, 30_000)

it('reads clients and users from --config', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openrp-cli-'))
  try {
    const config = join(dir, 'op.json')
    writeFileSync(
      config,
      JSON.stringify({
        clients: [
          {
            client_id: 'from-config',
            client_secret: 's3cret',
            token_endpoint_auth_method: 'client_secret_post',
            grant_types: ['client_credentials'],
            scope: 'api:read',
          },
        ],
        users: [{ username: 'carol', password: 'pw', sub: 'carol-1', claims: {} }],
      }),
    )
    const out = await run(['--port', '0', '--quiet', '--config', config])
    expect(out).toContain('from-config')
    expect(out).toContain('carol')
    expect(out).not.toContain('alice')
    // Secrets and passwords of a config file are someone's own: never printed.
    expect(out).not.toContain('s3cret')
    expect(out).not.toMatch(/carol \/ pw/)
    const issuer = /issuer:\s+(\S+)/.exec(out)![1]!
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=from-config&client_secret=s3cret',
    })
    expect(res.status).toBe(200)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 30_000)
