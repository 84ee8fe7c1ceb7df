/**
 * Where the demos get their OpenID Provider: the one named by ISSUER (any provider), or the
 * reference server started in this process on a free loopback port.
 */
import { type ReferenceServer, startReferenceServer } from '@openrp/reference-server'

export interface DemoProvider {
  issuer: string
  /** The in-process reference server, when the demo started one. */
  server: ReferenceServer | undefined
  close(): Promise<void>
}

/**
 * Uses `ISSUER` when set; otherwise starts the reference server (port `PORT`, default a free
 * one) and prints `ISSUER=<url>` so scripts and tests can find it.
 */
export async function useProvider(
  env: NodeJS.ProcessEnv = process.env,
  serverOptions: Parameters<typeof startReferenceServer>[0] = {},
): Promise<DemoProvider> {
  if (env.ISSUER) return { issuer: env.ISSUER, server: undefined, close: async () => {} }
  const server = await startReferenceServer({ port: Number(env.PORT ?? 0), ...serverOptions })
  console.log(`ISSUER=${server.issuer}`)
  console.log('(reference server started in this process; set ISSUER to use another provider)')
  return { issuer: server.issuer, server, close: () => server.close() }
}

/** `env[name]`, or `fallback`. */
export function setting(env: NodeJS.ProcessEnv, name: string, fallback: string): string
export function setting(env: NodeJS.ProcessEnv, name: string): string | undefined
export function setting(env: NodeJS.ProcessEnv, name: string, fallback?: string) {
  const value = env[name]
  return value === undefined || value === '' ? fallback : value
}
