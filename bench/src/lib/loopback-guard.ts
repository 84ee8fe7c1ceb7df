import dns from 'node:dns'

/**
 * Makes every host-name lookup other than localhost fail in this process, so a library that
 * tries to reach the Internet (instance discovery, telemetry) fails loudly instead of leaving
 * the machine. Loopback names and addresses pass.
 */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1'])

export function allowOnlyLoopback(): void {
  const original = dns.lookup
  const guarded = ((hostname: string, ...rest: unknown[]) => {
    if (!LOOPBACK.has(hostname)) {
      throw new Error(`bench: refused to resolve ${hostname}; only 127.0.0.1 may be contacted`)
    }
    return (original as (...args: unknown[]) => unknown)(hostname, ...rest)
  }) as typeof dns.lookup
  dns.lookup = guarded
}
