/**
 * The client a sign-in demo uses: discovered at the provider's issuer, with `CLIENT_ID`,
 * `CLIENT_SECRET` (optional) and `SCOPE` from the environment over the demo's defaults.
 */
import { type Client, discover } from '@openrp/core'
import { setting } from './provider.ts'

/** Discovers the demo's client; `defaults` hold the client id and scope of the demo client. */
export function discoverDemoClient(
  env: NodeJS.ProcessEnv,
  issuer: string,
  defaults: { clientId: string; scope: string },
): Promise<Client> {
  const clientSecret = setting(env, 'CLIENT_SECRET')
  return discover(issuer, {
    clientId: setting(env, 'CLIENT_ID', defaults.clientId),
    ...(clientSecret !== undefined && { clientSecret }),
    scope: setting(env, 'SCOPE', defaults.scope),
  })
}
