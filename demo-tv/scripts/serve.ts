/**
 * The TV demo: builds the bundle, serves the TV app and, unless `--issuer` names a running
 * provider, starts the reference OpenID Provider for it. Prints what to open.
 *
 *   pnpm --filter @openrp/demo-tv start [--port 4003] [--issuer-port 4000] [--issuer <url>]
 *     [--control] [--device-ttl <s>] [--device-interval <s>] [--renew-delay-ms <ms>]
 *     [--no-build] [--quiet]
 *
 * `--port 0` / `--issuer-port 0` pick free ports. With `--issuer`, that provider must allow this
 * app's origin by CORS (the reference server allows DEMO_TV_ORIGIN, port 4003, by default; `npm
 * run demo` passes the origin to the SPA demo's provider). Machine-readable lines
 * (`TV_DEMO_URL=`, `ISSUER=`, `CONTROL=`, `TV_READY=1`) let test suites start it on free ports.
 */
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  build,
  contentSecurityPolicy,
  failed,
  portNumber,
  scriptArgs,
  startStaticApp,
  stopOnSignals,
  wholeNumber,
} from '@openrp/demo-server'
import { DEMO_CLIENTS, type ReferenceServer, startReferenceServer } from '@openrp/reference-server'

const root = resolve(import.meta.dirname, '..')
const { values } = parseArgs({
  args: scriptArgs(),
  options: {
    port: { type: 'string', default: process.env.DEMO_TV_PORT ?? '4003' },
    'issuer-port': { type: 'string', default: process.env.PORT ?? '4000' },
    issuer: { type: 'string' },
    control: { type: 'boolean', default: false },
    'device-ttl': { type: 'string' },
    'device-interval': { type: 'string' },
    'renew-delay-ms': { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
})

async function main(): Promise<void> {
  const tvPort = portNumber(values.port, 'port')
  if (!values['no-build']) {
    if (!values.quiet) console.log('Building the TV demo bundle (rollup)…')
    await build(root, (await import(join(root, 'rollup.config.mjs'))).default)
  }

  // Listen first: with --port 0 the TV origin is known only now, and the provider must allow
  // it by CORS.
  const app = await startStaticApp(tvPort, {
    publicDir: join(root, 'public'),
    assetsDir: join(root, 'dist', 'assets'),
    pages: { '/': 'index.html', '/index.html': 'index.html' },
  })

  let provider: ReferenceServer | undefined
  let issuer: string
  if (values.issuer) {
    issuer = values.issuer.replace(/\/$/, '')
  } else {
    provider = await startReferenceServer({
      port: portNumber(values['issuer-port'], 'issuer-port'),
      clients: DEMO_CLIENTS,
      corsOrigins: [app.origin],
      enableControlEndpoint: values.control,
      ...(values['device-ttl'] && {
        deviceCodeTtl: wholeNumber(values['device-ttl'], 'device-ttl', 1),
      }),
      ...(values['device-interval'] && {
        deviceInterval: wholeNumber(values['device-interval'], 'device-interval', 1),
      }),
    })
    issuer = provider.issuer
  }
  app.configure(
    {
      issuer,
      clientId: 'tv',
      scope: 'openid profile email offline_access api:read',
      apiUrl: `${issuer}/api/me`,
      ...(values['renew-delay-ms'] && {
        renewDelayMs: wholeNumber(values['renew-delay-ms'], 'renew-delay-ms', 0),
      }),
    },
    contentSecurityPolicy(issuer, { frames: false }),
  )

  const line = '─'.repeat(64)
  console.log(line)
  console.log(' openrp demo TV (device flow: sign in with your phone)')
  console.log(line)
  console.log(` Open on the TV:   ${app.origin}/   (arrow keys + Enter, like a remote)`)
  console.log(` OpenID Provider:  ${issuer}${provider ? '' : '  (already running)'}`)
  console.log(' Test user:        alice / wonderland   Client: tv (device authorization)')
  console.log(line)
  console.log(`TV_DEMO_URL=${app.origin}/`)
  console.log(`ISSUER=${issuer}`)
  console.log(`CONTROL=${values.control && provider ? `${issuer}/__control` : 'off'}`)
  console.log('TV_READY=1')

  stopOnSignals(
    () => Promise.allSettled([app.close(), provider?.close()]),
    (signal) => values.quiet || console.log(`\n${signal}: stopping the TV demo`),
  )
}

main().catch((error) => failed('The TV demo', error))
