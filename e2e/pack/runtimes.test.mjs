// The runtime stage: the smoke flow (smoke-flow.mjs) run by Node, Bun, Deno and workerd from the
// tarballs installed in the scratch project, against a reference server on 127.0.0.1. Bun, Deno
// and workerd come from the npm registry as devDependencies of e2e (`pnpm install` runs their
// install scripts); a runtime that is not there fails its test, it is never skipped.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { prepareProject, projectDir, root, sh } from './scratch.mjs'

const bin = (name) => {
  const path = join(root, 'e2e/node_modules/.bin', name)
  assert.ok(
    existsSync(path),
    `${name} is not installed: run pnpm install (it is a devDependency of e2e)`,
  )
  return path
}
let server
let config

before(async () => {
  // OPENRP_REUSE_PACK=1: use the project the packaging stage (pack.test.mjs) just installed.
  await prepareProject({ reuse: process.env.OPENRP_REUSE_PACK === '1' })
  const entry = join(projectDir, 'node_modules/@openrp/reference-server/dist/index.js')
  const { startReferenceServer, DEMO_PRIVATE_KEY_JWK } = await import(pathToFileURL(entry).href)
  server = await startReferenceServer({ port: 0 })
  config = JSON.stringify({ issuer: server.issuer, privateKeyJwk: DEMO_PRIVATE_KEY_JWK })
})
after(() => server?.close())

/** The steps every runtime must pass, in order. */
const STEPS = [
  'discovery',
  'PKCE challenge sent',
  'code + PKCE, ID token validated',
  'a wrong state is a typed error',
  'userinfo',
  'introspection',
  'refresh',
  'client credentials with DPoP and private_key_jwt',
  'TokenManager cached token',
  'TokenManager refresh over an encrypted store',
]

async function runEntry(file, args) {
  const { stdout } = await sh(file, args, { cwd: projectDir, timeout: 60_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1)).passed
}

test('Node', async () => {
  assert.deepEqual(await runEntry(process.execPath, ['smoke/node-entry.mjs', config]), STEPS)
})

test('Bun', async () => {
  const bun = bin('bun')
  console.log(`# ${(await sh(bun, ['--version'])).stdout.trim()}`)
  assert.deepEqual(await runEntry(bun, ['smoke/node-entry.mjs', config]), STEPS)
})

test('Deno', async () => {
  const deno = bin('deno')
  console.log(`# ${(await sh(deno, ['--version'])).stdout.split('\n')[0]}`)
  const args = [
    'run',
    '--quiet',
    '--no-prompt',
    '--allow-net=127.0.0.1',
    '--allow-read',
    '--allow-env',
  ]
  assert.deepEqual(await runEntry(deno, [...args, 'smoke/node-entry.mjs', config]), STEPS)
})

test('workerd', async () => {
  const workerd = bin('workerd')
  console.log(`# workerd ${(await sh(workerd, ['--version'])).stdout.trim()}`)
  const dir = join(projectDir, 'workerd')
  await mkdir(dir, { recursive: true })
  // One ES module for the worker: core, jose and oauth4webapi bundled from the installed tarballs.
  await sh(
    join(root, 'node_modules/.bin/esbuild'),
    [
      'smoke/worker-entry.mjs',
      '--bundle',
      '--format=esm',
      '--platform=neutral',
      '--conditions=workerd,worker,browser',
      '--main-fields=module,main',
      `--outfile=${join(dir, 'worker.js')}`,
      '--log-level=warning',
    ],
    { cwd: projectDir },
  )
  const port = await freePort()
  await writeFile(join(dir, 'config.capnp'), workerdConfig(port))
  // Its own process group: the .bin shim starts the binary as a child, and both must end.
  const child = spawn(workerd, ['serve', 'config.capnp'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  try {
    const url = `http://127.0.0.1:${port}/?config=${encodeURIComponent(config)}`
    const response = await fetchWhenUp(url, child, () => output)
    const body = await response.json()
    assert.equal(response.status, 200, `${body.error ?? ''}\n${output}`)
    assert.deepEqual(body.passed, STEPS)
  } finally {
    process.kill(-child.pid, 'SIGKILL')
  }
})

/** workerd config: the worker on 127.0.0.1:port; its outbound fetch may reach loopback. */
function workerdConfig(port) {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .smoke),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const smoke :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-01-01",
  globalOutbound = "internet",
);
`
}

async function fetchWhenUp(url, child, output) {
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`workerd exited with ${child.exitCode}:\n${output()}`)
    try {
      return await fetch(url)
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`workerd did not answer:\n${output()}`, { cause: error })
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}
