/**
 * What the demo apps' start scripts (demo-spa, demo-tv, demo-react) share: the command line, the
 * rollup build, a static server for the built app with its `/config.json` and Content Security
 * Policy, the demo clients moved to the app's real origin, and a clean stop on Ctrl+C.
 *
 * Each script keeps what is its own: its options, its provider and the lines it prints.
 */
import { readFile, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { type ClientConfig, DEMO_CLIENTS, DEMO_SPA_ORIGIN } from '@openrp/reference-server'

/** The script's arguments; `pnpm start -- --port 0` passes the `--` through, so it is dropped. */
export function scriptArgs(): string[] {
  return process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'))
}

/**
 * A whole number from the command line, at least `min`; anything else ends the script with
 * exit code 2 and says which option was wrong.
 */
export function wholeNumber(value: string | undefined, name: string, min = 0): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > 65535 * 1000) {
    console.error(`--${name} must be a whole number ≥ ${min}, got "${value}"`)
    process.exit(2)
  }
  return n
}

/** A port from the command line (0 = a free port). */
export function portNumber(value: string | undefined, name: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`--${name} must be a port number (0 = a free port), got "${value}"`)
    process.exit(2)
  }
  return n
}

/** Builds the app with rollup from its folder (relative paths in the config resolve there). */
export async function build(root: string, config: import('rollup').RollupOptions): Promise<void> {
  const { rollup } = await import('rollup')
  const previous = process.cwd()
  process.chdir(root)
  try {
    const bundle = await rollup({ ...config, onwarn: () => {} })
    const outputs = Array.isArray(config.output) ? config.output : [config.output ?? {}]
    for (const output of outputs) await bundle.write(output)
    await bundle.close()
  } finally {
    process.chdir(previous)
  }
}

/**
 * The demo clients with redirect and post-logout URIs moved from the SPA demo's usual origin to
 * `origin` (a demo started on a free port, or another demo app).
 */
export function demoClientsFor(origin: string): ClientConfig[] {
  if (origin === DEMO_SPA_ORIGIN) return DEMO_CLIENTS
  const swap = (uri: string) =>
    uri.startsWith(`${DEMO_SPA_ORIGIN}/`) ? origin + uri.slice(DEMO_SPA_ORIGIN.length) : uri
  return DEMO_CLIENTS.map((client) => ({
    ...client,
    redirect_uris: client.redirect_uris?.map(swap),
    post_logout_redirect_uris: client.post_logout_redirect_uris?.map(swap),
  }))
}

/**
 * The pages' Content Security Policy: the app's own origin, plus the provider for fetch and,
 * when the app frames it or posts forms to it (silent renew, popup and redirect logins), for
 * frames and form actions.
 */
export function contentSecurityPolicy(issuer: string, options: { frames: boolean }): string {
  return [
    "default-src 'self'",
    `connect-src 'self' ${issuer}`,
    ...(options.frames ? [`frame-src 'self' ${issuer}`, `form-action 'self' ${issuer}`] : []),
    "img-src 'self' data:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    `frame-ancestors ${options.frames ? "'self'" : "'none'"}`,
  ].join('; ')
}

export interface StaticAppOptions {
  /** The app's pages and static files. */
  publicDir: string
  /** The folder served under `/assets/` (the built bundle). */
  assetsDir: string
  /** Paths served by a page of `publicDir` (e.g. `'/': 'index.html'`). */
  pages: Record<string, string>
  /** Serve `index.html` for every other path without an extension (a client-side router). */
  routes?: boolean
}

export interface StaticApp {
  /** `http://127.0.0.1:<port>`. */
  origin: string
  /** What `/config.json` answers and the pages' CSP, set once the provider is known. */
  configure(config: unknown, csp: string): void
  close(): Promise<void>
}

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

/**
 * Starts the static server for a built app on 127.0.0.1. It listens before the provider starts:
 * with port 0 the app's origin is known only then, and the provider must register redirect
 * URIs on it. Nothing is cached; pages carry the CSP given to `configure()`.
 */
export async function startStaticApp(port: number, options: StaticAppOptions): Promise<StaticApp> {
  let config = ''
  let csp = ''
  const server = createServer((req, res) => {
    serve(req, res, options, config, csp).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(port, '127.0.0.1', ok)
  })
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    configure(value, policy) {
      config = JSON.stringify(value)
      csp = policy
    },
    close() {
      server.closeAllConnections()
      return new Promise<void>((ok) => server.close(() => ok()))
    },
  }
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  options: StaticAppOptions,
  config: string,
  csp: string,
): Promise<void> {
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
  const page = options.pages[url.pathname]
  const file = page
    ? join(options.publicDir, page)
    : url.pathname.startsWith('/assets/')
      ? safeJoin(options.assetsDir, url.pathname.slice('/assets'.length))
      : options.routes && extname(url.pathname) === ''
        ? join(options.publicDir, 'index.html')
        : safeJoin(options.publicDir, url.pathname)
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

/** `base` + the URL path, or undefined when the path (dots, encoded slashes) leaves `base`. */
function safeJoin(base: string, pathname: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return undefined
  }
  const full = normalize(join(base, decoded))
  return full.startsWith(`${base}/`) ? full : undefined
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/**
 * Stops on SIGINT and SIGTERM: calls `stop` once (closing the app and its provider), then exits
 * with 0. `onSignal` may print a line first.
 */
export function stopOnSignals(
  stop: () => Promise<unknown>,
  onSignal?: (signal: NodeJS.Signals) => void,
): void {
  let stopping = false
  const handle = async (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    onSignal?.(signal)
    await stop().catch(() => {})
    process.exit(0)
  }
  process.on('SIGINT', handle)
  process.on('SIGTERM', handle)
}

/** Ends a start script that failed: says why (and what to do about a taken port), exit code 1. */
export function failed(what: string, error: unknown): never {
  console.error(`${what} could not start:`, error instanceof Error ? error.message : error)
  if ((error as { code?: string })?.code === 'EADDRINUSE') {
    console.error(
      'A port is taken: stop what uses it, or pass --port 0 --issuer-port 0 for free ports.',
    )
  }
  process.exit(1)
}
