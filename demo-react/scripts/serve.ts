/**
 * The React demo: builds the bundle, starts the reference OpenID Provider and a static server
 * for the app (every app path serves index.html, for React Router), and prints what to open.
 *
 *   pnpm --filter @openrp/demo-react start [--port 4005] [--issuer-port 0] [--control]
 *     [--mode production|development] [--no-build]
 *
 * Machine-readable lines (`REACT_DEMO_URL=`, `REACT_ISSUER=`, `REACT_DEMO_READY=1`) let test
 * suites start it on free ports; they are prefixed so `npm run demo` can print them beside the
 * demo SPA's.
 */
import { readFile, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  type ClientConfig,
  DEMO_CLIENTS,
  DEMO_SPA_ORIGIN,
  startReferenceServer,
} from '@openrp/reference-server'

const root = resolve(import.meta.dirname, '..')
const publicDir = join(root, 'public')

const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'))
const { values } = parseArgs({
  args,
  options: {
    port: { type: 'string', default: process.env.REACT_DEMO_PORT ?? '4005' },
    'issuer-port': { type: 'string', default: '0' },
    control: { type: 'boolean', default: false },
    mode: { type: 'string', default: 'production' },
    'no-build': { type: 'boolean', default: false },
  },
})

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
}

/** Pages of their own; every other path without an extension is the app (index.html). */
const PAGES: Record<string, string> = {
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

const mode = values.mode === 'development' ? 'development' : 'production'
if (values.mode !== mode) {
  console.error(`--mode must be production or development, got "${values.mode}"`)
  process.exit(2)
}
const distDir = join(root, 'dist', mode, 'assets')

async function build(): Promise<void> {
  const { rollup } = await import('rollup')
  const { demoConfig } = await import(join(root, 'rollup.config.mjs'))
  const config = demoConfig(mode)
  const bundle = await rollup({ ...config, onwarn: () => {} })
  await bundle.write(config.output)
  await bundle.close()
}

/** The demo clients, registered for this demo's origin instead of the SPA demo's. */
function forOrigin(clients: ClientConfig[], origin: string): ClientConfig[] {
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
    console.log(`Building the React demo (rollup, ${mode})…`)
    await build()
  }
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
    clients: forOrigin(DEMO_CLIENTS, demoOrigin),
    corsOrigins: [demoOrigin],
    enableControlEndpoint: values.control,
    // The demo's own provider grants offline_access without prompt=consent (no consent page in
    // the login). Against an OP that follows OpenID Connect Core §11, ask prompt=consent: see
    // the browser README.
    offlineAccessWithoutConsent: true,
  })
  const issuer = provider.issuer
  config = JSON.stringify({ issuer, apiUrl: `${issuer}/api/me`, clientId: 'spa' })
  csp = [
    "default-src 'self'",
    `connect-src 'self' ${issuer}`,
    `frame-src 'self' ${issuer}`,
    `form-action 'self' ${issuer}`,
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
  ].join('; ')

  console.log(` openrp React demo (${mode} build, StrictMode on)`)
  console.log(`   Open:             ${demoOrigin}/`)
  console.log(`   OpenID Provider:  ${issuer}`)
  console.log('   Test user:        alice / wonderland')
  console.log(`REACT_DEMO_URL=${demoOrigin}/`)
  console.log(`REACT_ISSUER=${issuer}`)
  console.log(`REACT_CONTROL=${values.control ? `${issuer}/__control` : 'off'}`)
  console.log('REACT_DEMO_READY=1')

  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    server.closeAllConnections()
    await Promise.allSettled([
      new Promise<void>((ok) => server.close(() => ok())),
      provider.close(),
    ])
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
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
  const page = PAGES[url.pathname]
  if (page) file = join(publicDir, page)
  else if (url.pathname.startsWith('/assets/')) file = safeJoin(distDir, url.pathname.slice(7))
  else if (extname(url.pathname) === '') file = join(publicDir, 'index.html')
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
  console.error('The React demo could not start:', error instanceof Error ? error.message : error)
  process.exit(1)
})
