import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, get } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** Where msal-node finds the local https token endpoint. */
export interface HttpsTokenEndpointInfo {
  /** e.g. https://127.0.0.1:41234/tenant */
  authority: string
  /** host:port, for msal-node's knownAuthorities. */
  host: string
  /** OpenID metadata msal-node is given up front (so it makes no discovery request). */
  metadata: Record<string, string>
}

/** What the endpoint saw. */
export interface HttpsTokenEndpointStats {
  tokenRequests: number
  /** Requests for anything but the token endpoint (answered 404), e.g. a discovery attempt. */
  unexpected: string[]
}

const STATS_PATH = '/__bench/stats'

/**
 * Serves a minimal client-credentials token endpoint over https on 127.0.0.1 with the given
 * certificate: each token request gets a fresh random access token valid for an hour, after
 * `delayMs` (a network round trip's worth). GET /__bench/stats reports what it saw.
 */
export async function serveHttpsTokenEndpoint(
  certPath: string,
  keyPath: string,
  { delayMs = 5 } = {},
): Promise<HttpsTokenEndpointInfo> {
  const stats: HttpsTokenEndpointStats = { tokenRequests: 0, unexpected: [] }
  const server = createServer(
    { cert: readFileSync(certPath), key: readFileSync(keyPath) },
    (req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => {
        body += d
      })
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname
        if (req.method === 'POST' && path.endsWith('/oauth2/v2.0/token')) {
          stats.tokenRequests++
          const params = new URLSearchParams(body)
          setTimeout(() => {
            res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
            res.end(
              JSON.stringify({
                token_type: 'Bearer',
                access_token: randomBytes(24).toString('base64url'),
                expires_in: 3600,
                ext_expires_in: 3600,
                scope: params.get('scope') ?? '',
              }),
            )
          }, delayMs)
          return
        }
        if (req.method === 'GET' && path === STATS_PATH) {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(JSON.stringify(stats))
          return
        }
        stats.unexpected.push(`${req.method} ${req.url}`)
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end('{"error":"not_found"}')
      })
    },
  )
  // Idle keep-alive connections stay open longer than any client's pool keeps them, so no
  // client reuses a socket the server is closing ("other side closed").
  server.keepAliveTimeout = 120_000
  // A deep accept queue: 1,000 callers may connect at once.
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve),
  )
  const { port } = server.address() as AddressInfo
  const host = `127.0.0.1:${port}`
  const authority = `https://${host}/tenant`
  return {
    authority,
    host,
    metadata: {
      issuer: `${authority}/v2.0`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
      jwks_uri: `${authority}/discovery/v2.0/keys`,
    },
  }
}

/** The endpoint running in its own process, as a real token server would. */
export interface HttpsTokenEndpoint extends HttpsTokenEndpointInfo {
  stats(): Promise<HttpsTokenEndpointStats>
  close(): Promise<void>
}

/**
 * Starts the endpoint in a child process (so its TLS work does not share the event loop of the
 * client under test) and waits until it listens. The calling process must trust `certPath`
 * (NODE_EXTRA_CA_CERTS) to read the stats.
 */
export async function startHttpsTokenEndpoint(
  certPath: string,
  keyPath: string,
): Promise<HttpsTokenEndpoint> {
  const script = fileURLToPath(new URL('../workers/https-endpoint.ts', import.meta.url))
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, CERT: certPath, KEY: keyPath },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`https endpoint exited with ${code}`)))
  })
  const info = JSON.parse(firstLine) as HttpsTokenEndpointInfo
  return {
    ...info,
    stats: () =>
      // A new connection each time (agent: false), outside the fetch() pool under test.
      new Promise<HttpsTokenEndpointStats>((resolve, reject) => {
        get(`https://${info.host}${STATS_PATH}`, { agent: false }, (res) => {
          let body = ''
          res.on('data', (d: Buffer) => {
            body += d
          })
          res.on('end', () => resolve(JSON.parse(body) as HttpsTokenEndpointStats))
        }).on('error', reject)
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
