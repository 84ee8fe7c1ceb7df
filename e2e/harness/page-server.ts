/**
 * Serves the bundled test pages on a free loopback port: `/<name>.html` is a blank document that
 * loads `/<name>.js`. The same URL is the page's redirect URI, so the page that started a login
 * also handles its callback.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { PAGES, PAGES_DIR, type PageName } from './build-pages.ts'

export interface PageServer {
  /** e.g. `http://127.0.0.1:41234` */
  origin: string
  /** The page's URL (also its redirect URI). */
  url(name: PageName): string
  close(): Promise<void>
}

const shell = (name: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>openrp ${name} page</title>
<script type="module" src="/${name}.js"></script></head>
<body><main id="out" data-page="${name}"></main></body></html>`

/** Starts the page server on 127.0.0.1 and a free port. */
export async function startPageServer(): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const match = /^\/([a-z-]+)\.(html|js|js\.map)$/.exec(path)
    const name = match?.[1] as PageName | undefined
    if (!match || !name || !PAGES.includes(name)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }
    if (match[2] === 'html') {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' })
      res.end(shell(name))
      return
    }
    readFile(join(PAGES_DIR, `${name}.${match[2]}`)).then(
      (body) => {
        const type = match[2] === 'js' ? 'text/javascript' : 'application/json'
        res.writeHead(200, { ...headers, 'content-type': `${type}; charset=utf-8` }).end(body)
      },
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${name} was not built`),
    )
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', ok)
  })
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    url: (name) => `${origin}/${name}.html`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}
