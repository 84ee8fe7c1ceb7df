/// <reference types="node" />
/**
 * A minimal HTTP server on 127.0.0.1 for tests that need a real socket but not a provider
 * (JWKS rotation, retry and size-cap behaviour). Provider behaviour is tested against the
 * reference server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
) => void | Promise<void>

export interface TinyServer {
  url: string
  /** Requests received, by path. */
  hits: Array<{ method: string; path: string; time: number }>
  count(path: string): number
  route(path: string, handler: Handler): void
  close(): Promise<void>
}

export async function startTinyServer(): Promise<TinyServer> {
  const routes = new Map<string, Handler>()
  const hits: TinyServer['hits'] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      hits.push({ method: req.method ?? 'GET', path, time: Date.now() })
      const handler = routes.get(path)
      if (!handler) {
        res.writeHead(404).end()
        return
      }
      Promise.resolve(handler(req, res, Buffer.concat(chunks).toString('utf8'))).catch(() => {
        if (!res.headersSent) res.writeHead(500)
        res.end()
      })
    })
  })
  const sockets = new Set<import('node:net').Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    count: (path) => hits.filter((h) => h.path === path).length,
    route: (path, handler) => routes.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify(body))
}
