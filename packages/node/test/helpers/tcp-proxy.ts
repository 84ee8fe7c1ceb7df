import { createServer, Socket } from 'node:net'

export interface TcpProxy {
  /** `redis://127.0.0.1:<port>` of the proxy. */
  url: string
  /** Connections accepted so far. */
  readonly connections: number
  /**
   * Stops forwarding on the connections open now, in both directions, without closing them: a
   * half-open connection (a peer or a NAT entry gone) that neither end hears of. Bytes sent from
   * then on are dropped, and a close is not passed on. Connections made later are forwarded.
   */
  stall(): void
  /**
   * Closes the connections open now (a stalled one too), as a peer that went away would: the
   * client hears of it. Connections made later are forwarded.
   */
  drop(): void
  /** Closes every connection and the proxy. */
  close(): Promise<void>
}

/** A loopback TCP proxy to `port` (a real redis-server), to break its connections silently. */
export async function startTcpProxy(port: number): Promise<TcpProxy> {
  const pairs = new Set<{ stalled: boolean; sockets: Socket[] }>()
  let connections = 0
  const server = createServer((downstream) => {
    connections++
    const upstream = new Socket()
    const pair = { stalled: false, sockets: [downstream, upstream] }
    pairs.add(pair)
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => {
        if (!pair.stalled) to.write(chunk)
      })
      from.on('close', () => {
        if (!pair.stalled) to.destroy()
      })
      from.on('error', () => {})
    }
    forward(downstream, upstream)
    forward(upstream, downstream)
    upstream.connect(port, '127.0.0.1')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return {
    url: `redis://127.0.0.1:${address.port}`,
    get connections() {
      return connections
    },
    stall() {
      for (const pair of pairs) pair.stalled = true
    },
    drop() {
      for (const pair of pairs) for (const socket of pair.sockets) socket.destroy()
      pairs.clear()
    },
    async close() {
      for (const pair of pairs) for (const socket of pair.sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
