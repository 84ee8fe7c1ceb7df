/**
 * Provider discovery: OpenID Connect Discovery 1.0, falling back to RFC 8414. The document's
 * `issuer` must equal the issuer asked for (`DISCOVERY_ISSUER_MISMATCH`).
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ServerMetadata } from './client-core.ts'
import { InvalidArgumentError } from './errors.ts'
import { assertSecureUrl } from './internal/http.ts'
import { operation } from './internal/operation.ts'
import { type ClientOptions, resolvePublicClientOptions } from './options.ts'

/** Options of {@link discoverMetadata}: the transport options of a client. */
export type DiscoveryOptions = Partial<
  Pick<
    ClientOptions,
    'fetch' | 'timeoutMs' | 'maxResponseBytes' | 'retry' | 'dangerouslyAllowInsecureHttp'
  >
> & { signal?: AbortSignal }

/**
 * Fetches and checks the provider's metadata (retried on 5xx / 429 / network errors).
 *
 * @example
 * ```ts
 * const metadata = await discoverMetadata('https://login.example.com')
 * const core = createClientCore(metadata, { clientId: 'spa' })
 * ```
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export async function discoverMetadata(
  issuer: string | URL,
  options: DiscoveryOptions = {},
): Promise<ServerMetadata> {
  let issuerUrl: URL
  try {
    issuerUrl = new URL(issuer)
  } catch {
    throw new InvalidArgumentError('issuer must be an absolute URL')
  }
  const { signal, ...transport } = options
  // Discovery sends no client authentication: only the transport options count here (a
  // Client's whole options may be given; discover() checks them before this).
  const resolved = resolvePublicClientOptions({
    ...transport,
    clientId: 'discovery',
    clientAuth: 'none',
    clientSecret: undefined,
    privateKey: undefined,
  })
  assertSecureUrl(issuerUrl, resolved)
  return operation(
    { options: resolved },
    { signal, retry: true, context: 'discovery' },
    async (http) => {
      let response = await oauth.discoveryRequest(issuerUrl, { ...http, algorithm: 'oidc' })
      if (response.status === 404) {
        response = await oauth.discoveryRequest(issuerUrl, { ...http, algorithm: 'oauth2' })
      }
      // oauth4webapi checked the document; openrp's own type describes the same members.
      return (await oauth.processDiscoveryResponse(issuerUrl, response)) as ServerMetadata
    },
  )
}
