// The README's first command, as a newcomer runs it: `npm run demo` starts the reference
// provider, the demo SPA and the demo TV app and prints what to open. Free ports, so it never
// collides.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

const root = fileURLToPath(new URL('../..', import.meta.url))

test('npm run demo starts the provider, the demo SPA and the demo TV app and prints where they are', async () => {
  const child = spawn('npm', ['run', 'demo', '--', '--port', '0', '--issuer-port', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  child.stderr.on('data', (chunk) => {
    out += chunk
  })
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo not ready in time:\n${out}`)), 120_000)
      const check = setInterval(() => {
        if (out.includes('DEMO_READY=1') && out.includes('TV_READY=1')) {
          clearInterval(check)
          clearTimeout(timer)
          resolve()
        }
      }, 100)
      child.once('exit', (code) => {
        clearInterval(check)
        clearTimeout(timer)
        reject(new Error(`demo exited with ${code}:\n${out}`))
      })
    })
    assert.match(out, /alice \/ wonderland/)
    const demoUrl = /^DEMO_URL=(\S+)/m.exec(out)?.[1]
    const issuer = /^ISSUER=(\S+)/m.exec(out)?.[1]
    assert.ok(demoUrl && issuer, out)
    const page = await fetch(demoUrl)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /<script/)
    const config = await (await fetch(new URL('/config.json', demoUrl))).json()
    assert.equal(config.issuer, issuer)
    const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()
    assert.equal(meta.issuer, issuer)
    // The TV app uses the same provider, which allows its origin on the device endpoints.
    const tvUrl = /^TV_DEMO_URL=(\S+)/m.exec(out)?.[1]
    assert.ok(tvUrl, out)
    const tvConfig = await (await fetch(new URL('/config.json', tvUrl))).json()
    assert.equal(tvConfig.issuer, issuer)
    const preflight = await fetch(`${issuer}/device_authorization`, {
      method: 'OPTIONS',
      headers: { origin: new URL(tvUrl).origin, 'access-control-request-method': 'POST' },
    })
    assert.equal(preflight.headers.get('access-control-allow-origin'), new URL(tvUrl).origin)
  } finally {
    // The whole process group: npm, pnpm and the server under them.
    try {
      process.kill(-child.pid, 'SIGTERM')
    } catch {}
  }
})
