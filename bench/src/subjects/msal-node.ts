import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node'
import type { HttpsTokenEndpointInfo } from '../lib/https-token-endpoint.ts'

export const MSAL_SCOPES = ['api://bench/.default']

/**
 * A msal-node ConfidentialClientApplication pointed at the local https token endpoint, told
 * everything up front (known authority, authority and cloud-discovery metadata) so it makes no
 * discovery request and never leaves 127.0.0.1.
 */
export function msalClient(endpoint: HttpsTokenEndpointInfo): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: 'm2m',
      clientSecret: 'm2m-secret',
      authority: endpoint.authority,
      knownAuthorities: [endpoint.host],
      authorityMetadata: JSON.stringify(endpoint.metadata),
      cloudDiscoveryMetadata: JSON.stringify({
        tenant_discovery_endpoint: `${endpoint.authority}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [
          {
            preferred_network: endpoint.host,
            preferred_cache: endpoint.host,
            aliases: [endpoint.host],
          },
        ],
      }),
    },
    system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } },
  })
}

/** The cached call users make on every API request. */
export async function msalToken(app: ConfidentialClientApplication): Promise<string> {
  const result = await app.acquireTokenByClientCredential({ scopes: MSAL_SCOPES })
  if (!result?.accessToken) throw new Error('msal-node returned no access token')
  return result.accessToken
}
