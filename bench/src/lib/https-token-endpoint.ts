import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'

/** A minimal https token endpoint on 127.0.0.1 (client credentials only), for msal-node. */
export interface HttpsTokenEndpoint {
  /** e.g. https://127.0.0.1:41234/tenant */
  authority: string
  /** host:port, for msal-node's knownAuthorities. */
  host: string
  /** OpenID metadata msal-node is given up front (so it makes no discovery request). */
  metadata: Record<string, string>
  tokenRequests(): number
  /** Requests for anything but the token endpoint (answered 404), e.g. a discovery attempt. */
  unexpectedRequests(): string[]
  resetCount(): void
  close(): Promise<void>
}

/**
 * Starts it with the certificate at `certPath` (trusted by the process through
 * NODE_EXTRA_CA_CERTS). Each token request gets a fresh random access token valid for an hour,
 * after `delayMs` (a network round trip's worth).
 */
export async function startHttpsTokenEndpoint(
  certPath: string,
  keyPath: string,
  { delayMs = 5 } = {},
): Promise<HttpsTokenEndpoint> {
  let count = 0
  const unexpected: string[] = []
  const server = createServer(
    { cert: readFileSync(certPath), key: readFileSync(keyPath) },
    (req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => {
        body += d
      })
      req.on('end', () => {
        if (
          req.method === 'POST' &&
          new URL(req.url ?? '/', 'https://127.0.0.1').pathname.endsWith('/oauth2/v2.0/token')
        ) {
          count++
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
        unexpected.push(`${req.method} ${req.url}`)
        process.stderr.write(`https token endpoint: unexpected request ${req.method} ${req.url}\n`)
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end('{"error":"not_found"}')
      })
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
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
    tokenRequests: () => count,
    unexpectedRequests: () => [...unexpected],
    resetCount: () => {
      count = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
