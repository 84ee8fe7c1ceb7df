/** startReferenceServer: builds the state, wires the endpoints, listens on loopback. */
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { createSelfSignedCertificate } from './certificate.ts'
import { DEMO_TV_ORIGIN } from './defaults.ts'
import { createControl } from './control.ts'
import { registerApi } from './endpoints/api.ts'
import { registerAuthorize } from './endpoints/authorize.ts'
import { registerConsent } from './endpoints/consent.ts'
import { registerControl } from './endpoints/control.ts'
import { registerDevice } from './endpoints/device.ts'
import { registerDeviceAuthorization } from './endpoints/device-authorization.ts'
import { registerDiscovery } from './endpoints/discovery.ts'
import { registerEndSession } from './endpoints/end-session.ts'
import { registerIntrospection } from './endpoints/introspection.ts'
import { registerJwks } from './endpoints/jwks.ts'
import { registerLogin } from './endpoints/login.ts'
import { registerPar } from './endpoints/par.ts'
import { registerRegistration } from './endpoints/registration.ts'
import { registerRevocation } from './endpoints/revocation.ts'
import { registerToken } from './endpoints/token.ts'
import { registerUserinfo } from './endpoints/userinfo.ts'
import type { AppEnv } from './http.ts'
import { holdRequests } from './holds.ts'
import { httpFaults, pageHeaderFaults } from './http-faults.ts'
import { tlsInfo } from './mtls.ts'
import { endpointOf } from './request-log.ts'
import { createServerState, type ServerState } from './state.ts'
import { sweeper } from './sweep.ts'
import type { ReferenceServer, ReferenceServerOptions } from './types.ts'

const LOOPBACK = ['127.0.0.1', '::1', 'localhost']

/** Paths a browser app on another origin calls with fetch. */
const CORS_PATHS = [
  '/.well-known/*',
  '/jwks',
  '/token',
  '/userinfo',
  '/revoke',
  '/introspect',
  '/par',
  '/device_authorization',
  '/register',
  '/register/*',
  '/api/*',
  '/__control',
]

function defaultCorsOrigins(state: ServerState): Set<string> {
  const origins = new Set<string>(state.options.corsOrigins ?? [])
  if (!state.options.corsOrigins) {
    origins.add(DEMO_TV_ORIGIN)
    for (const client of state.clients.values()) {
      for (const uri of client.redirect_uris ?? []) origins.add(new URL(uri).origin)
    }
  }
  return origins
}

function buildApp(state: ServerState, closing: AbortSignal): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const sweep = sweeper(state)
  app.use('*', async (c, next) => {
    sweep()
    c.set('log', {})
    await next()
    const path = new URL(c.req.url).pathname
    const info = c.get('log')
    state.log.add({
      time: state.nowMs(),
      method: c.req.method,
      path,
      endpoint: endpointOf(path),
      status: c.res.status,
      clientId: info.clientId,
      grantType: info.grantType,
      userCode: info.userCode,
      ...(c.get('tls')?.mtls && { mtls: true }),
    })
  })
  const corsHandler = cors({
    origin: (origin) => (state.corsOrigins.has(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    allowHeaders: ['Authorization', 'DPoP', 'Content-Type'],
    exposeHeaders: ['DPoP-Nonce', 'WWW-Authenticate', 'Retry-After'],
    maxAge: 600,
  })
  app.use('*', tlsInfo(state.options.mtlsCa !== undefined))
  for (const path of CORS_PATHS) app.use(path, corsHandler)
  app.use('*', holdRequests(state.holds))
  app.use('*', pageHeaderFaults(state))
  app.use('*', httpFaults(state, closing))
  registerDiscovery(app, state)
  registerJwks(app, state)
  registerAuthorize(app, state)
  registerLogin(app, state)
  registerConsent(app, state)
  registerToken(app, state)
  registerUserinfo(app, state)
  registerPar(app, state)
  registerDeviceAuthorization(app, state)
  registerDevice(app, state)
  registerIntrospection(app, state)
  registerRevocation(app, state)
  registerEndSession(app, state)
  registerApi(app, state)
  registerRegistration(app, state)
  app.onError((err, c) => {
    console.error('reference-server: unexpected error', err)
    return c.json({ error: 'server_error', error_description: 'internal error' }, 500)
  })
  return app
}

/**
 * Starts the reference OpenID Provider on a loopback address.
 *
 * @example
 * ```ts
 * const server = await startReferenceServer({ port: 0 })
 * server.control.setFaults({ idToken: { badSignature: true, times: 1 } })
 * // ... talk to server.issuer ...
 * await server.close()
 * ```
 */
export async function startReferenceServer(
  options: ReferenceServerOptions = {},
): Promise<ReferenceServer> {
  const host = options.host ?? '127.0.0.1'
  if (!LOOPBACK.includes(host)) throw new TypeError(`host must be a loopback address, got ${host}`)
  const state = await createServerState(options)
  state.corsOrigins = defaultCorsOrigins(state)
  const control = createControl(state)
  const closing = new AbortController()
  const app = buildApp(state, closing.signal)
  if (options.enableControlEndpoint) registerControl(app, control)

  // overrideGlobalObjects: false leaves the host process's Request / Response alone (the server
  // is embedded in test processes whose own code checks `instanceof Response`).
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: host,
    overrideGlobalObjects: false,
  })
  // RFC 8705 §5: the mtls_endpoint_aliases on a second port, HTTPS with a certificate made
  // now. Client certificates are asked for, never refused by TLS: the endpoints check them
  // (tls_client_auth needs a chain TLS validated against `mtlsCa`, RFC 8705 §2.1).
  const tls = createSelfSignedCertificate({
    commonName: host,
    ipAddresses: ['127.0.0.1', '::1'],
    dnsNames: ['localhost'],
  })
  const mtlsServer = createAdaptorServer({
    fetch: app.fetch,
    hostname: host,
    overrideGlobalObjects: false,
    createServer: createHttpsServer,
    serverOptions: {
      cert: tls.cert,
      key: tls.key,
      requestCert: true,
      rejectUnauthorized: false,
      ...(options.mtlsCa !== undefined && { ca: options.mtlsCa }),
    },
  })
  const servers = [server, mtlsServer]
  const ports: number[] = []
  try {
    for (const [i, s] of servers.entries()) {
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.listen(i === 0 ? (options.port ?? 0) : 0, host, () => {
          s.off('error', reject)
          resolve()
        })
      })
      ports.push((s.address() as AddressInfo).port)
    }
  } catch (err) {
    for (const s of servers) if (s.listening) s.close()
    throw err
  }
  const [port = 0, mtlsPort = 0] = ports
  const urlHost = host === '::1' ? '[::1]' : host
  state.issuer = options.issuer ?? `http://${urlHost}:${port}`
  state.mtlsUrl = `https://${urlHost}:${mtlsPort}`

  return {
    issuer: state.issuer,
    port,
    mtlsUrl: state.mtlsUrl,
    mtlsCertificate: tls.cert,
    control,
    close: async () => {
      closing.abort()
      state.holds.releaseAll()
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve, reject) => {
              s.close((err) => (err ? reject(err) : resolve()))
              if ('closeAllConnections' in s) s.closeAllConnections()
            }),
        ),
      )
    },
  }
}
