/**
 * One Redis command over a plain TCP connection, for test setup: what `redis-cli -h 127.0.0.1
 * -p <port> <args...>` prints when its output is not a terminal, without starting a process per
 * command (the setup polls, and a process per poll cost more CPU than the tests it served).
 */
import { connect } from 'node:net'

/** An error reply (`-ERR ...`) of the server. */
export class RedisReplyError extends Error {
  override name = 'RedisReplyError'
}

type Reply = string | number | null | Reply[] | RedisReplyError

/**
 * Sends `args` as one command to the Redis server on 127.0.0.1:`port` and resolves with the
 * reply as redis-cli prints it raw: a string or bulk string as is, an integer in decimal, an
 * array as its elements (nested ones flattened) one per line, nil as an empty string. An error
 * reply, a refused connection or no reply within `timeoutMs` rejects.
 *
 * @example
 * ```ts
 * const info = await redisCommand(6379, 'info', 'replication')
 * ```
 */
export function redisCommand(port: number, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let buffer: Buffer = Buffer.alloc(0)
    let done = false
    const finish = (error: Error | undefined, text?: string) => {
      if (done) return
      done = true
      socket.destroy()
      if (error) reject(error)
      else resolve(text as string)
    }
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`Redis on ${port}: no reply to ${args[0]} within ${timeoutMs} ms`)),
    )
    socket.once('error', (error) => finish(error))
    socket.once('close', () => finish(new Error(`Redis on ${port} closed before replying`)))
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
      let parsed: { reply: Reply; next: number } | undefined
      try {
        parsed = parseReply(buffer, 0)
      } catch (error) {
        finish(error as Error)
        return
      }
      if (!parsed) return
      const { reply } = parsed
      if (reply instanceof RedisReplyError) finish(reply)
      else finish(undefined, format(reply))
    })
    socket.write(encode(args))
  })
}

function encode(args: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = Buffer.from(arg)
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

/** The reply starting at `at`, and where the next one starts; undefined while incomplete. */
function parseReply(buf: Buffer, at: number): { reply: Reply; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at)
  if (eol === -1) return undefined
  const type = String.fromCharCode(buf[at] as number)
  const line = buf.toString('utf8', at + 1, eol)
  const next = eol + 2
  switch (type) {
    case '+':
      return { reply: line, next }
    case '-':
      return { reply: new RedisReplyError(line), next }
    case ':':
      return { reply: Number(line), next }
    case '$': {
      const length = Number(line)
      if (length < 0) return { reply: null, next }
      if (buf.length < next + length + 2) return undefined
      return { reply: buf.toString('utf8', next, next + length), next: next + length + 2 }
    }
    case '*': {
      const count = Number(line)
      if (count < 0) return { reply: null, next }
      const items: Reply[] = []
      let pos = next
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, pos)
        if (!item) return undefined
        items.push(item.reply)
        pos = item.next
      }
      return { reply: items, next: pos }
    }
    default:
      throw new Error(`unexpected Redis reply type ${JSON.stringify(type)}`)
  }
}

function format(reply: Reply): string {
  if (reply === null) return ''
  if (Array.isArray(reply)) return reply.map(format).join('\n')
  return String(reply)
}
