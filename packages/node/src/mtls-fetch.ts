/**
 * A fetch that presents a TLS client certificate, for OAuth 2.0 Mutual-TLS client
 * authentication and certificate-bound access tokens (RFC 8705).
 *
 * @module
 */
import { InvalidArgumentError } from '@openrp/core'
import { loadOptional } from './internal/optional-dependency.ts'

/** Options of {@link mtlsFetch}. PEM text or Buffers, as `node:tls` takes them. */
export interface MtlsFetchOptions {
  /** The client certificate (PEM), optionally followed by its intermediate certificates. */
  cert: string | Uint8Array
  /** The certificate's private key (PEM). */
  key: string | Uint8Array
  /**
   * Certificates trusted for the server (PEM), replacing Node's default roots; e.g. a test
   * provider's self-signed certificate. Default: Node's trusted roots.
   */
  ca?: string | Uint8Array | Array<string | Uint8Array>
  /** Passphrase of an encrypted `key`. */
  passphrase?: string
}

// undici's types are not the DOM's: the fetch below is given the DOM's signature once.
type UndiciModule = typeof import('undici')

/**
 * Returns a `fetch` that presents `cert` on every TLS connection it opens, for the `fetch`
 * option of `Client` / `discover` with `clientAuth: 'tls_client_auth'` or
 * `'self_signed_tls_client_auth'`, or with `mtlsEndpointAliases: true` for certificate-bound
 * access tokens. Node's global fetch cannot present a client certificate, so this one is
 * undici's `fetch` (the library Node's own fetch is built on) over an undici `Agent` with the
 * certificate; undici is loaded on the first request, not when `@openrp/node` is imported.
 * Its connections are kept alive and reused; idle ones do not keep the process running.
 *
 * Hand the same fetch to `fetchProtectedResource` calls (through the client): a resource
 * server checks that a bound token comes with the certificate it is bound to.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { discover } from '@openrp/core'
 * import { mtlsFetch } from '@openrp/node'
 *
 * const client = await discover('https://id.example.com', {
 *   clientId: 'billing-daemon',
 *   clientAuth: 'tls_client_auth',
 *   fetch: mtlsFetch({
 *     cert: readFileSync('/etc/billing/client.crt'),
 *     key: readFileSync('/etc/billing/client.key'),
 *   }),
 * })
 * const tokens = await client.clientCredentials({ scope: 'invoices:write' })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2
 */
export function mtlsFetch(options: MtlsFetchOptions): typeof fetch {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('mtlsFetch() needs { cert, key }')
  const { cert, key, ca, passphrase } = options
  if (!isPem(cert)) throw new InvalidArgumentError('options.cert must be a PEM string or a Buffer')
  if (!isPem(key)) throw new InvalidArgumentError('options.key must be a PEM string or a Buffer')
  if (ca !== undefined && !(Array.isArray(ca) ? ca.every(isPem) : isPem(ca)))
    throw new InvalidArgumentError('options.ca must be PEM strings or Buffers')
  if (passphrase !== undefined && typeof passphrase !== 'string')
    throw new InvalidArgumentError('options.passphrase must be a string')
  let loaded: Promise<{ undici: UndiciModule; dispatcher: InstanceType<UndiciModule['Agent']> }>
  const load = () => {
    loaded ??= loadOptional('undici', 'mtlsFetch', () => import('undici')).then((undici) => ({
      undici,
      dispatcher: new undici.Agent({
        connect: {
          cert: toNode(cert),
          key: toNode(key),
          ...(ca !== undefined && { ca: Array.isArray(ca) ? ca.map(toNode) : toNode(ca) }),
          ...(passphrase !== undefined && { passphrase }),
        },
      }),
    }))
    return loaded
  }
  const fetchWithCertificate = async (
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> => {
    const { undici, dispatcher } = await load()
    // A Request of Node's own fetch is not one of this undici's: pass its parts.
    if (typeof input === 'object' && !(input instanceof URL)) {
      init = {
        method: input.method,
        headers: input.headers,
        body: input.body,
        signal: input.signal,
        redirect: input.redirect,
        ...(input.body && { duplex: 'half' }),
        ...init,
      } as RequestInit
      input = input.url
    }
    // biome-ignore lint/suspicious/noExplicitAny: the DOM's RequestInit and undici's differ in typing only
    const response = await undici.fetch(input as any, { ...(init as any), dispatcher })
    return response as unknown as Response
  }
  return fetchWithCertificate as typeof fetch
}

function isPem(value: unknown): value is string | Uint8Array {
  return (typeof value === 'string' && value !== '') || value instanceof Uint8Array
}

function toNode(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string'
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}
