/**
 * The demo: builds the SPA bundle, starts the reference OpenID Provider and a static server for
 * the SPA, and prints what to open.
 *
 *   pnpm --filter @openrp/demo-spa start [--port 4001] [--issuer-port 4000] [--control]
 *     [--access-token-ttl <seconds>] [--cors-origin <origin>]... [--no-build]
 *
 * `--port 0` / `--issuer-port 0` pick free ports; the demo clients' redirect URIs then follow the
 * real demo origin. Machine-readable lines (`DEMO_URL=`, `ISSUER=`, `DEMO_READY=1`) let test
 * suites start it on free ports.
 */
import { readFile, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  DEMO_CLIENTS,
  DEMO_SPA_ORIGIN,
  DEMO_USERS,
  startReferenceServer,
  type ClientConfig,
} from '@openrp/reference-server'

const root = resolve(import.meta.dirname, '..')
const publicDir = join(root, 'public')
const distDir = join(root, 'dist')

// `pnpm start -- --port 0` passes the `--` through: drop it.
const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'))
const { values } = parseArgs({
  args,
  options: {
    port: { type: 'string', default: process.env.DEMO_PORT ?? '4001' },
    'issuer-port': { type: 'string', default: process.env.PORT ?? '4000' },
    control: { type: 'boolean', default: false },
    'access-token-ttl': { type: 'string' },
    // More browser origins the provider allows (e.g. the TV demo's, from `npm run demo`).
    'cors-origin': { type: 'string', multiple: true, default: [] },
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
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

/** Pages served from public/ (`/callback.html` is another name for the main page). */
const PAGE_ALIASES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/callback.html': 'index.html',
  '/popup-callback.html': 'popup-callback.html',
  '/silent-callback.html': 'silent-callback.html',
}

function port(value: string | undefined, name: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`--${name} must be a port number (0 = a free port), got "${value}"`)
    process.exit(2)
  }
  return n
}

function positive(value: string, name: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive number of seconds, got "${value}"`)
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

function rewriteOrigin(clients: ClientConfig[], origin: string): ClientConfig[] {
  if (origin === DEMO_SPA_ORIGIN) return clients
  const swap = (uri: string) =>
    uri.startsWith(`${DEMO_SPA_ORIGIN}/`) ? origin + uri.slice(DEMO_SPA_ORIGIN.length) : uri
  return clients.map((client) => ({
    ...client,
    redirect_uris: client.redirect_uris?.map(swap),
    post_logout_redirect_uris: client.post_logout_redirect_uris?.map(swap),
  }))
}

async function main(): Promise<void> {
  const demoPort = port(values.port, 'port')
  const issuerPort = port(values['issuer-port'], 'issuer-port')

  if (!values['no-build']) {
    console.log('Building the demo bundle (rollup)…')
    await build()
  }

  // Listen first: with --port 0 the demo origin is known only now, and the provider must
  // register redirect URIs on that origin.
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
    server.listen(demoPort, '127.0.0.1', ok)
  })
  const demoOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const provider = await startReferenceServer({
    port: issuerPort,
    clients: rewriteOrigin(DEMO_CLIENTS, demoOrigin),
    corsOrigins: [demoOrigin, ...values['cors-origin']],
    enableControlEndpoint: values.control,
    ...(values['access-token-ttl'] && {
      accessTokenTtl: positive(values['access-token-ttl'], 'access-token-ttl'),
    }),
  })
  const issuer = provider.issuer
  config = JSON.stringify({
    issuer,
    apiUrl: `${issuer}/api/me`,
    clients: { code: 'spa', legacy: 'legacy-spa' },
    testUser: { username: DEMO_USERS[0]?.username, password: DEMO_USERS[0]?.password },
  })
  csp = [
    "default-src 'self'",
    `connect-src 'self' ${issuer}`,
    `frame-src 'self' ${issuer}`,
    `form-action 'self' ${issuer}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
  ].join('; ')

  const line = '─'.repeat(64)
  console.log(line)
  console.log(' openrp demo SPA')
  console.log(line)
  console.log(` Open:             ${demoOrigin}/`)
  console.log(
    ` OpenID Provider:  ${issuer}  (discovery: ${issuer}/.well-known/openid-configuration)`,
  )
  console.log(' Test user:        alice / wonderland')
  console.log(' Clients:          spa (code + PKCE), legacy-spa (hybrid and implicit)')
  if (values.control) console.log(` Control endpoint: ${issuer}/__control`)
  console.log(' Stop:             Ctrl+C')
  console.log(line)
  console.log(`DEMO_URL=${demoOrigin}/`)
  console.log(`ISSUER=${issuer}`)
  console.log(`CLIENT_ID=spa`)
  console.log(`LEGACY_CLIENT_ID=legacy-spa`)
  console.log(`CONTROL=${values.control ? `${issuer}/__control` : 'off'}`)
  console.log('DEMO_READY=1')

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    if (!values.quiet) console.log(`\n${signal}: stopping the demo`)
    server.closeAllConnections()
    await Promise.allSettled([
      new Promise<void>((ok) => server.close(() => ok())),
      provider.close(),
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
  let file: string | undefined
  const page = PAGE_ALIASES[url.pathname]
  if (page) file = join(publicDir, page)
  else if (url.pathname.startsWith('/assets/')) file = safeJoin(distDir, url.pathname)
  else file = safeJoin(publicDir, url.pathname)
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
  console.error('The demo could not start:', error instanceof Error ? error.message : error)
  if ((error as { code?: string })?.code === 'EADDRINUSE') {
    console.error(
      'A port is taken: stop what uses it, or pass --port 0 --issuer-port 0 for free ports.',
    )
  }
  process.exit(1)
})
