/**
 * The React demo: builds the bundle, starts the reference OpenID Provider and a static server
 * for the app (every app path serves index.html, for React Router), and prints what to open.
 *
 *   pnpm --filter @openrp/demo-react start [--port 4005] [--issuer-port 0] [--control]
 *     [--mode production|development] [--no-build]
 *
 * Machine-readable lines (`REACT_DEMO_URL=`, `REACT_ISSUER=`, `REACT_DEMO_READY=1`) let test
 * suites start it on free ports; they are prefixed so `npm run demo` can print them beside the
 * demo SPA's.
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
} from '@openrp/demo-server'
import { startReferenceServer } from '@openrp/reference-server'

const root = resolve(import.meta.dirname, '..')
const { values } = parseArgs({
  args: scriptArgs(),
  options: {
    port: { type: 'string', default: process.env.REACT_DEMO_PORT ?? '4005' },
    'issuer-port': { type: 'string', default: '0' },
    control: { type: 'boolean', default: false },
    mode: { type: 'string', default: 'production' },
    'no-build': { type: 'boolean', default: false },
  },
})

const mode = values.mode === 'development' ? 'development' : 'production'
if (values.mode !== mode) {
  console.error(`--mode must be production or development, got "${values.mode}"`)
  process.exit(2)
}

async function main(): Promise<void> {
  const demoPort = portNumber(values.port, 'port')
  const issuerPort = portNumber(values['issuer-port'], 'issuer-port')
  if (!values['no-build']) {
    console.log(`Building the React demo (rollup, ${mode})…`)
    const { demoConfig } = await import(join(root, 'rollup.config.mjs'))
    await build(root, demoConfig(mode))
  }
  // Every app path without an extension is the app (index.html), for React Router; the popup
  // and silent-renew callbacks are pages of their own.
  const app = await startStaticApp(demoPort, {
    publicDir: join(root, 'public'),
    assetsDir: join(root, 'dist', mode, 'assets'),
    pages: {
      '/popup-callback.html': 'popup-callback.html',
      '/silent-callback.html': 'silent-callback.html',
    },
    routes: true,
  })
  const provider = await startReferenceServer({
    port: issuerPort,
    clients: demoClientsFor(app.origin),
    corsOrigins: [app.origin],
    enableControlEndpoint: values.control,
    // The demo's own provider grants offline_access without prompt=consent (no consent page in
    // the login). Against an OP that follows OpenID Connect Core §11, ask prompt=consent: see
    // the browser README.
    offlineAccessWithoutConsent: true,
  })
  const issuer = provider.issuer
  app.configure(
    { issuer, apiUrl: `${issuer}/api/me`, clientId: 'spa' },
    contentSecurityPolicy(issuer, { frames: true }),
  )

  console.log(` openrp React demo (${mode} build, StrictMode on)`)
  console.log(`   Open:             ${app.origin}/`)
  console.log(`   OpenID Provider:  ${issuer}`)
  console.log('   Test user:        alice / wonderland')
  console.log(`REACT_DEMO_URL=${app.origin}/`)
  console.log(`REACT_ISSUER=${issuer}`)
  console.log(`REACT_CONTROL=${values.control ? `${issuer}/__control` : 'off'}`)
  console.log('REACT_DEMO_READY=1')

  stopOnSignals(() => Promise.allSettled([app.close(), provider.close()]))
}

main().catch((error) => failed('The React demo', error))
