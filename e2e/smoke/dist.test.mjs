// Smoke tests of the built packages (dist/), imported the way users import them: by package
// name, with no source condition. Run after `pnpm build` with node's own test runner.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { test } from 'node:test'

const require = createRequire(import.meta.url)

const contract = {
  '@openrp/core': [
    'discover',
    'Client',
    'TokenSet',
    'TokenManager',
    'MemoryStore',
    'InProcessLock',
    'OAuthError',
    'ValidationError',
    'NetworkError',
    'TimeoutError',
    'InteractionRequiredError',
  ],
  '@openrp/browser': [
    'createSpaClient',
    'IndexedDbStore',
    'SessionStorageStore',
    'WebLocksLock',
    'EncryptedStore',
  ],
  '@openrp/node': [
    'FileStore',
    'RedisStore',
    'RedisLock',
    'ClientCredentialsProvider',
    'deviceLogin',
    'loopbackLogin',
    'EncryptedStore',
    'mtlsFetch',
  ],
  '@openrp/react': [
    'AuthProvider',
    'useAuth',
    'RequireAuth',
    'withAuthenticationRequired',
    'useAccessToken',
  ],
  '@openrp/reference-server': [
    'startReferenceServer',
    'DEMO_CLIENTS',
    'DEMO_USERS',
    'createSelfSignedCertificate',
    'issueCertificate',
  ],
}

for (const [name, exports] of Object.entries(contract)) {
  test(`${name} dist exports the contract`, async () => {
    const mod = await import(name)
    for (const e of exports) assert.ok(e in mod, `${name} is missing ${e}`)
    assert.match(require.resolve(name), /\/dist\/index\.js$/)
  })
}

test('@openrp/react dist keeps "use client" first and imports without a window', async () => {
  const code = await readFile(require.resolve('@openrp/react'), 'utf8')
  assert.match(code, /^'use client';\n/)
  assert.equal(typeof globalThis.window, 'undefined')
  await import('@openrp/react')
})

for (const name of ['@openrp/core', '@openrp/browser']) {
  test(`${name} dist has no Node built-in imports`, async () => {
    const code = await readFile(require.resolve(name), 'utf8')
    assert.doesNotMatch(code, /from\s+['"]node:|require\(['"]node:/)
  })
}

test('built core gets a client-credentials token from the built reference server', async () => {
  const { startReferenceServer } = await import('@openrp/reference-server')
  const { discover, TokenSet } = await import('@openrp/core')
  const server = await startReferenceServer({ port: 0 })
  try {
    const client = await discover(server.issuer, { clientId: 'm2m', clientSecret: 'm2m-secret' })
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    assert.ok(tokens instanceof TokenSet)
    assert.equal(tokens.isExpired(), false)
    assert.equal(server.control.requests({ endpoint: 'token' }).length, 1)
  } finally {
    await server.close()
  }
})

test('openrp-server CLI starts and prints its issuer', async () => {
  const cli = require.resolve('@openrp/reference-server').replace(/index\.js$/, 'cli.js')
  const child = spawn(process.execPath, [cli, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    const issuer = await new Promise((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`no issuer printed:\n${out}`)), 15_000)
      child.stdout.on('data', (chunk) => {
        out += chunk
        const match = out.match(/http:\/\/127\.0\.0\.1:\d+/)
        if (match) {
          clearTimeout(timer)
          resolve(match[0])
        }
      })
      child.once('exit', (code) => reject(new Error(`CLI exited with ${code}:\n${out}`)))
    })
    const res = await fetch(`${issuer}/.well-known/openid-configuration`)
    assert.equal(res.status, 200)
    assert.equal((await res.json()).issuer, issuer)
  } finally {
    child.kill()
  }
})

test('importing @openrp/core and @openrp/node does not load Node\u2019s fetch implementation', async () => {
  // Touching the global Response / fetch at import time makes Node load undici (tens of ms of
  // cold start in every process that merely imports openrp).
  const script = `
    await import('@openrp/core'); await import('@openrp/node')
    const loaded = process.moduleLoadList.filter((m) => m.includes('undici'))
    process.stdout.write(JSON.stringify(loaded))`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('.', import.meta.url),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  const code = await new Promise((resolve) => child.on('exit', resolve))
  assert.equal(code, 0)
  assert.deepEqual(JSON.parse(out), [])
})
