#!/usr/bin/env node
/**
 * openrp-server: runs the reference OpenID Provider.
 *
 *   openrp-server [--port 4000] [--host 127.0.0.1] [--issuer URL] [--config file.json] [--quiet]
 *
 * The JSON config file holds ReferenceServerOptions (clients, users, trustedIssuers, ttls, ...).
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { DEMO_CLIENTS, DEMO_USERS } from './defaults.ts'
import { startReferenceServer } from './server.ts'
import type { ReferenceServerOptions } from './types.ts'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4000' },
    host: { type: 'string' },
    issuer: { type: 'string' },
    config: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    'enable-control': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (values.help) {
  console.log(
    'usage: openrp-server [--port 4000] [--host 127.0.0.1] [--issuer URL] [--config file.json] [--enable-control] [--quiet]',
  )
  process.exit(0)
}

const fromFile: ReferenceServerOptions = values.config
  ? JSON.parse(await readFile(values.config, 'utf8'))
  : {}
const options: ReferenceServerOptions = {
  ...fromFile,
  port: Number(values.port),
  log: !values.quiet,
}
if (values.host) options.host = values.host
if (values.issuer) options.issuer = values.issuer
if (values['enable-control']) options.enableControlEndpoint = true

const server = await startReferenceServer(options)
const clients = options.clients ?? DEMO_CLIENTS
const users = options.users ?? DEMO_USERS
// The demo's secrets and passwords are published test values and worth printing; those of a
// --config file belong to someone's own apps and are never written to the console.
const showSecrets = options.clients === undefined
const showPasswords = options.users === undefined

const lines = [
  `openrp reference server listening`,
  `  issuer:    ${server.issuer}`,
  `  discovery: ${server.issuer}/.well-known/openid-configuration`,
  `  mtls:      ${server.mtlsUrl}  (mtls_endpoint_aliases, RFC 8705)`,
  '',
  'clients:',
  ...clients.flatMap((c) => [
    `  ${c.client_id}  (${c.client_name ?? c.token_endpoint_auth_method})`,
    `    auth: ${c.token_endpoint_auth_method}${c.client_secret ? `  secret: ${showSecrets ? c.client_secret : '(from config)'}` : ''}`,
    `    grants: ${c.grant_types.join(', ')}`,
    ...(c.redirect_uris?.length ? [`    redirect_uris: ${c.redirect_uris.join(' ')}`] : []),
  ]),
  '',
  'users:',
  ...users.map((u) =>
    showPasswords
      ? `  ${u.username} / ${u.password}  (sub ${u.sub})`
      : `  ${u.username}  (sub ${u.sub}, password from config)`,
  ),
  '',
]
console.log(lines.join('\n'))

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close().finally(() => process.exit(0))
  })
}
