/**
 * OAuth 2.0 Mutual-TLS (RFC 8705): which paths the mutual-TLS listener serves (the
 * `mtls_endpoint_aliases`), the client certificate of a request, `tls_client_auth` (subject DN or
 * SAN dNSName) and `self_signed_tls_client_auth` (a certificate of the client's registered
 * `jwks`), and certificate-bound access tokens (`cnf["x5t#S256"]`).
 */
import type { X509Certificate } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { MiddlewareHandler } from 'hono'
import { certificateThumbprint } from './certificate.ts'
import { invalidClient, OAuthHttpError } from './errors.ts'
import type { AppContext, AppEnv } from './http.ts'
import type { ClientConfig } from './types.ts'

/** Endpoints with an alias on the mutual-TLS listener (RFC 8705 §5), by metadata name. */
export const MTLS_ALIASES = {
  token_endpoint: '/token',
  revocation_endpoint: '/revoke',
  introspection_endpoint: '/introspect',
  userinfo_endpoint: '/userinfo',
  pushed_authorization_request_endpoint: '/par',
  device_authorization_endpoint: '/device_authorization',
} as const

const MTLS_PATHS = new Set<string>(Object.values(MTLS_ALIASES))

/** The `mtls_endpoint_aliases` metadata for the listener at `mtlsUrl`. */
export function mtlsEndpointAliases(mtlsUrl: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(MTLS_ALIASES).map(([name, path]) => [name, `${mtlsUrl}${path}`]),
  )
}

/**
 * Records the TLS facts of each request (`c.get('tls')`). On the mutual-TLS listener only the
 * aliased endpoints and the demo API (which checks bound tokens) are served; anything else is
 * 404 there. `hasTrustedCas`: the listener was given `mtlsCa`, so a chain TLS validated is one
 * of those CAs' (without them, TLS would validate against the default root store instead).
 */
export function tlsInfo(hasTrustedCas: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
    const socket = incoming?.socket as TLSSocket | undefined
    if (!socket || !('encrypted' in socket) || !socket.encrypted) {
      c.set('tls', { mtls: false })
      return next()
    }
    const path = new URL(c.req.url).pathname
    if (!MTLS_PATHS.has(path) && !path.startsWith('/api/')) {
      return c.json({ error: 'not_found', error_description: 'not an mTLS endpoint alias' }, 404)
    }
    c.set('tls', {
      mtls: true,
      clientCert: socket.getPeerX509Certificate(),
      clientCertTrusted: hasTrustedCas && socket.authorized,
    })
    return next()
  }
}

/** The client certificate presented with this request, if any. */
export function clientCertificate(c: AppContext): X509Certificate | undefined {
  return c.get('tls')?.clientCert
}

/**
 * Authenticates a `tls_client_auth` or `self_signed_tls_client_auth` client (RFC 8705 §2) by
 * the certificate of the connection. Throws `invalid_client` when the request did not come over
 * the mutual-TLS listener, came without a certificate, or with one that is not the client's.
 * `tls_client_auth` is the PKI method (§2.1): the certificate's chain must validate to a CA of
 * `mtlsCa` before the registered subject DN or SAN dNSName is compared.
 */
export async function authenticateTlsClient(c: AppContext, client: ClientConfig): Promise<void> {
  const method = client.token_endpoint_auth_method
  if (!c.get('tls')?.mtls)
    throw invalidClient(`${method} needs the mutual-TLS endpoint (mtls_endpoint_aliases)`)
  const cert = clientCertificate(c)
  if (!cert) throw invalidClient('no client certificate was presented')
  if (method === 'tls_client_auth') {
    if (!c.get('tls')?.clientCertTrusted)
      throw invalidClient('the certificate does not chain to a trusted CA (mtlsCa)')
    if (client.tls_client_auth_subject_dn !== undefined) {
      if (!sameDn(subjectDn(cert), client.tls_client_auth_subject_dn))
        throw invalidClient('the certificate subject is not the registered one')
      return
    }
    if (client.tls_client_auth_san_dns !== undefined) {
      if (!sanDnsNames(cert).includes(client.tls_client_auth_san_dns.toLowerCase()))
        throw invalidClient('the certificate has not the registered dNSName')
      return
    }
    throw invalidClient('the client registered no tls_client_auth_subject_dn or _san_dns')
  }
  if (!inJwks(cert, client.jwks?.keys ?? []))
    throw invalidClient('the certificate is not one of the client registered jwks')
}

/**
 * The `x5t#S256` the access tokens of this request are bound to: the certificate's thumbprint
 * for a client with `tls_client_certificate_bound_access_tokens`, `undefined` otherwise.
 * Such a client without a certificate is refused (`invalid_request`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-3
 */
export function boundThumbprint(c: AppContext, client: ClientConfig): string | undefined {
  if (!client.tls_client_certificate_bound_access_tokens) return undefined
  const cert = clientCertificate(c)
  if (!cert)
    throw new OAuthHttpError(
      'invalid_request',
      'this client gets certificate-bound access tokens: present its certificate at the mtls_endpoint_aliases',
    )
  return certificateThumbprint(cert)
}

/** RFC 4514 order (most specific first), attribute types in upper case, values trimmed. */
function subjectDn(cert: X509Certificate): string[] {
  return cert.subject
    .split('\n')
    .filter(Boolean)
    .reverse()
    .map((rdn) => normalizeRdn(rdn))
}

function sameDn(subject: string[], registered: string): boolean {
  const parts = registered
    .split(/(?<!\\),/)
    .map((rdn) => normalizeRdn(rdn))
    .filter(Boolean)
  return parts.length === subject.length && parts.every((rdn, i) => rdn === subject[i])
}

function normalizeRdn(rdn: string): string {
  const eq = rdn.indexOf('=')
  if (eq < 0) return rdn.trim()
  return `${rdn.slice(0, eq).trim().toUpperCase()}=${rdn.slice(eq + 1).trim()}`
}

function sanDnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase())
}

/**
 * RFC 8705 §2.2.2: the certificate is registered when a key of the client's JWKS carries it as
 * `x5c[0]`. The key members of a JWK (`x`, `y`, `n`, `e`) are "not utilized in this context": a
 * key registered without its certificate registers no certificate.
 */
function inJwks(cert: X509Certificate, keys: Record<string, unknown>[]): boolean {
  const der = cert.raw.toString('base64')
  return keys.some((key) => Array.isArray(key.x5c) && key.x5c[0] === der)
}
