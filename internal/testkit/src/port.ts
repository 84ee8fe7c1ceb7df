import { createServer } from 'node:net'

/** Ports handed out lately: concurrent callers in one process never get the same one. */
const recent: number[] = []

/** A TCP port on 127.0.0.1 that was free a moment ago (and not handed out lately here). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer()
      srv.unref()
      srv.on('error', reject)
      srv.listen(0, '127.0.0.1', () => {
        const address = srv.address()
        const port = typeof address === 'object' && address ? address.port : 0
        srv.close(() => resolve(port))
      })
    })
    if (recent.includes(port)) continue
    recent.push(port)
    if (recent.length > 256) recent.shift()
    return port
  }
}
