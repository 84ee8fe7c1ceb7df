/**
 * The demo: builds the SPA bundle, starts the reference OpenID Provider and a static server for
 * the SPA, and prints what to open.
 *
 *   pnpm --filter @openrp/demo-spa start [--port 4001] [--issuer-port 4000] [--control]
 *     [--access-token-ttl <seconds>] [--cors-origin <origin>]... [--no-build]
 *
 * `--port 0` / `--issuer-port 0` pick free ports; the demo clients' redirect URIs then follow the
 * real demo origin. Machine-readable lines (`DEMO_URL=`, `ISSUER=`, `DEMO_READY=1`) let test
 * suites start it on free ports.
 */
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  build,
  contentSecurityPolicy,
  demoClientsFor,
  failed,
  portNumber,
  scriptArgs,
  startStaticApp,
  stopOnSignals,
  wholeNumber,
} from '@openrp/demo-server'
import { DEMO_USERS, startReferenceServer } from '@openrp/reference-server'

const root = resolve(import.meta.dirname, '..')
const { values } = parseArgs({
  args: scriptArgs(),
  options: {
    port: { type: 'string', default: process.env.DEMO_PORT ?? '4001' },
    'issuer-port': { type: 'string', default: process.env.PORT ?? '4000' },
    control: { type: 'boolean', default: false },
    'access-token-ttl': { type: 'string' },
    // More browser origins the provider allows (e.g. the TV demo's, from `npm run demo`).
    'cors-origin': { type: 'string', multiple: true, default: [] },
    'no-build': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
})

/** Pages served from public/ (`/callback.html` is another name for the main page). */
const PAGE_ALIASES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/callback.html': 'index.html',
  '/popup-callback.html': 'popup-callback.html',
  '/silent-callback.html': 'silent-callback.html',
}

async function main(): Promise<void> {
  const demoPort = portNumber(values.port, 'port')
  const issuerPort = portNumber(values['issuer-port'], 'issuer-port')

  if (!values['no-build']) {
    console.log('Building the demo bundle (rollup)…')
    await build(root, (await import(join(root, 'rollup.config.mjs'))).default)
  }

  const app = await startStaticApp(demoPort, {
    publicDir: join(root, 'public'),
    assetsDir: join(root, 'dist', 'assets'),
    pages: PAGE_ALIASES,
  })
  const provider = await startReferenceServer({
    port: issuerPort,
    clients: demoClientsFor(app.origin),
    corsOrigins: [app.origin, ...values['cors-origin']],
    enableControlEndpoint: values.control,
    ...(values['access-token-ttl'] && {
      accessTokenTtl: wholeNumber(values['access-token-ttl'], 'access-token-ttl', 1),
    }),
  })
  const issuer = provider.issuer
  app.configure(
    {
      issuer,
      apiUrl: `${issuer}/api/me`,
      clients: { code: 'spa', legacy: 'legacy-spa' },
      testUser: { username: DEMO_USERS[0]?.username, password: DEMO_USERS[0]?.password },
    },
    contentSecurityPolicy(issuer, { frames: true }),
  )

  const line = '─'.repeat(64)
  console.log(line)
  console.log(' openrp demo SPA')
  console.log(line)
  console.log(` Open:             ${app.origin}/`)
  console.log(
    ` OpenID Provider:  ${issuer}  (discovery: ${issuer}/.well-known/openid-configuration)`,
  )
  console.log(' Test user:        alice / wonderland')
  console.log(' Clients:          spa (code + PKCE), legacy-spa (hybrid and implicit)')
  if (values.control) console.log(` Control endpoint: ${issuer}/__control`)
  console.log(' Stop:             Ctrl+C')
  console.log(line)
  console.log(`DEMO_URL=${app.origin}/`)
  console.log(`ISSUER=${issuer}`)
  console.log(`CLIENT_ID=spa`)
  console.log(`LEGACY_CLIENT_ID=legacy-spa`)
  console.log(`CONTROL=${values.control ? `${issuer}/__control` : 'off'}`)
  console.log('DEMO_READY=1')

  stopOnSignals(
    () => Promise.allSettled([app.close(), provider.close()]),
    (signal) => values.quiet || console.log(`\n${signal}: stopping the demo`),
  )
}

main().catch((error) => failed('The demo', error))
