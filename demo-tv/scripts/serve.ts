/**
 * The TV demo: builds the bundle, serves the TV app and, unless `--issuer` names a running
 * provider, starts the reference OpenID Provider for it. Prints what to open.
 *
 *   pnpm --filter @openrp/demo-tv start [--port 4003] [--issuer-port 4000] [--issuer <url>]
 *     [--control] [--device-ttl <s>] [--device-interval <s>] [--renew-delay-ms <ms>]
 *     [--no-build] [--quiet]
 *
 * `--port 0` / `--issuer-port 0` pick free ports. With `--issuer`, that provider must allow this
 * app's origin by CORS (the reference server allows DEMO_TV_ORIGIN, port 4003, by default; `npm
 * run demo` passes the origin to the SPA demo's provider). Machine-readable lines
 * (`TV_DEMO_URL=`, `ISSUER=`, `CONTROL=`, `TV_READY=1`) let test suites start it on free ports.
 */
import { readFile, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEMO_CLIENTS, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'

const root = resolve(import.meta.dirname, '..')
const publicDir = join(root, 'public')
const distDir = join(root, 'dist')

// `pnpm start -- --port 0` passes the `--` through: drop it.
const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'))
const { values } = parseArgs({
  args,
  options: {
    port: { type: 'string', default: process.env.DEMO_TV_PORT ?? '4003' },
    'issuer-port': { type: 'string', default: process.env.PORT ?? '4000' },
    issuer: { type: 'string' },
    control: { type: 'boolean', default: false },
    'device-ttl': { type: 'string' },
    'device-interval': { type: 'string' },
    'renew-delay-ms': { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
})

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
}

function integer(value: string | undefined, name: string, min: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > 65535 * 1000) {
    console.error(`--${name} must be a whole number ≥ ${min}, got "${value}"`)
    process.exit(2)
  }
  return n
}

async function build(): Promise<void> {
  const { rollup } = await import('rollup')
  const config = (await import(join(root, 'rollup.config.mjs'))).default
  const previous = process.cwd()
  process.chdir(root)
  try {
    const bundle = await rollup({ ...config, onwarn: () => {} })
    await bundle.write(config.output)
    await bundle.close()
  } finally {
    process.chdir(previous)
  }
}

async function main(): Promise<void> {
  const tvPort = integer(values.port, 'port', 0)
  if (!values['no-build']) {
    if (!values.quiet) console.log('Building the TV demo bundle (rollup)…')
    await build()
  }

  // Listen first: with --port 0 the TV origin is known only now, and the provider must allow
  // it by CORS.
  let config = ''
  let csp = ''
  const server = createServer((req, res) => {
    serve(req, res, config, csp).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(tvPort, '127.0.0.1', ok)
  })
  const tvOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  let provider: ReferenceServer | undefined
  let issuer: string
  if (values.issuer) {
    issuer = values.issuer.replace(/\/$/, '')
  } else {
    provider = await startReferenceServer({
      port: integer(values['issuer-port'], 'issuer-port', 0),
      clients: DEMO_CLIENTS,
      corsOrigins: [tvOrigin],
      enableControlEndpoint: values.control,
      ...(values['device-ttl'] && {
        deviceCodeTtl: integer(values['device-ttl'], 'device-ttl', 1),
      }),
      ...(values['device-interval'] && {
        deviceInterval: integer(values['device-interval'], 'device-interval', 1),
      }),
    })
    issuer = provider.issuer
  }
  config = JSON.stringify({
    issuer,
    clientId: 'tv',
    scope: 'openid profile email offline_access api:read',
    apiUrl: `${issuer}/api/me`,
    ...(values['renew-delay-ms'] && {
      renewDelayMs: integer(values['renew-delay-ms'], 'renew-delay-ms', 0),
    }),
  })
  csp = [
    "default-src 'self'",
    `connect-src 'self' ${issuer}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ')

  const line = '─'.repeat(64)
  console.log(line)
  console.log(' openrp demo TV (device flow: sign in with your phone)')
  console.log(line)
  console.log(` Open on the TV:   ${tvOrigin}/   (arrow keys + Enter, like a remote)`)
  console.log(` OpenID Provider:  ${issuer}${provider ? '' : '  (already running)'}`)
  console.log(' Test user:        alice / wonderland   Client: tv (device authorization)')
  console.log(line)
  console.log(`TV_DEMO_URL=${tvOrigin}/`)
  console.log(`ISSUER=${issuer}`)
  console.log(`CONTROL=${values.control && provider ? `${issuer}/__control` : 'off'}`)
  console.log('TV_READY=1')

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    if (!values.quiet) console.log(`\n${signal}: stopping the TV demo`)
    server.closeAllConnections()
    await Promise.allSettled([
      new Promise<void>((ok) => server.close(() => ok())),
      provider?.close(),
    ])
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

async function serve(req: IncomingMessage, res: ServerResponse, config: string, csp: string) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  const headers: Record<string, string> = {
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end()
    return
  }
  if (url.pathname === '/config.json') {
    res.writeHead(200, { ...headers, 'Content-Type': CONTENT_TYPES['.json']! }).end(config)
    return
  }
  const file =
    url.pathname === '/' || url.pathname === '/index.html'
      ? join(publicDir, 'index.html')
      : url.pathname.startsWith('/assets/')
        ? safeJoin(distDir, url.pathname)
        : safeJoin(publicDir, url.pathname)
  if (!file || !(await isFile(file))) {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found')
    return
  }
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream'
  const body = await readFile(file)
  const pageHeaders = type.startsWith('text/html') ? { 'Content-Security-Policy': csp } : {}
  res.writeHead(200, { ...headers, ...pageHeaders, 'Content-Type': type })
  res.end(req.method === 'HEAD' ? undefined : body)
}

function safeJoin(base: string, pathname: string): string | undefined {
  const full = normalize(join(base, decodeURIComponent(pathname)))
  return full.startsWith(`${base}/`) ? full : undefined
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

main().catch((error) => {
  console.error('The TV demo could not start:', error instanceof Error ? error.message : error)
  if ((error as { code?: string })?.code === 'EADDRINUSE') {
    console.error('A port is taken: stop what uses it, or pass --port 0 --issuer-port 0.')
  }
  process.exit(1)
})
