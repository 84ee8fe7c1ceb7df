/**
 * JWT-secured authorization requests (JAR, RFC 9101): the authorization request's parameters
 * travel as one request object signed with the client's private key, by oauth4webapi's
 * `issueRequestObject`. {@link createClientCore} installs the signer when the `requestObject`
 * option is on; {@link createAuthorizationRequest} sends what it signs. Only cores made by
 * createClientCore import this module, so a public-client bundle carries none of it.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from './client-core.ts'
import { InvalidArgumentError, OpenRpError, ValidationError } from './errors.ts'
import type { SigningKey } from './internal/private-key.ts'

/**
 * Signs the parameters of an authorization request as a request object (a compact JWS with
 * `typ` `oauth-authz-req+jwt`, `iss` the client id, `aud` the issuer, 60 s lifetime) and returns
 * what to send instead of them: `client_id` and `request`. Throws
 * `REQUEST_OBJECT_ALG_NOT_SUPPORTED` when the provider's
 * `request_object_signing_alg_values_supported` lacks the key's alg, and `INVALID_ARGUMENT` for a
 * key that cannot sign.
 *
 * @example
 * ```ts
 * const sign: RequestObjectSigner | undefined = core.requestObject
 * const sent = sign ? await sign(core, new URLSearchParams({ response_type: 'code' })) : undefined
 * sent?.get('request') // the signed request object
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9101#section-5
 */
export type RequestObjectSigner = (
  core: ClientCore,
  params: URLSearchParams,
) => Promise<URLSearchParams>

/**
 * The {@link RequestObjectSigner} of a client whose private key is `key` (imported on first use).
 *
 * @example
 * ```ts
 * const sign = requestObjectSigner(async () => ({ key: privateKey, kid: 'key-1' }))
 * const sent = await sign(core, new URLSearchParams({ response_type: 'code', scope: 'openid' }))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9101#section-4
 */
export function requestObjectSigner(key: () => Promise<SigningKey>): RequestObjectSigner {
  return async (core, params) => {
    const signingKey = await key()
    const supported = core.metadata.request_object_signing_alg_values_supported
    let request: string
    try {
      request = await oauth.issueRequestObject(core.metadata, core.client, params, signingKey, {
        // Called with the header oauth4webapi is about to sign: its alg is the key's.
        [oauth.modifyAssertion]: (header) => {
          if (Array.isArray(supported) && !supported.includes(String(header.alg)))
            throw new ValidationError(
              'REQUEST_OBJECT_ALG_NOT_SUPPORTED',
              `The provider does not accept request objects signed with ${header.alg} (request_object_signing_alg_values_supported: ${supported.join(', ')})`,
            )
        },
      })
    } catch (error) {
      if (error instanceof OpenRpError) throw error
      throw new InvalidArgumentError('options.privateKey cannot sign request objects')
    }
    // RFC 9101 §5: client_id and the object, no loose copies of the parameters it carries (the
    // provider ignores them, §6.3). OIDC Core §6.1 also repeats response_type and scope outside;
    // RFC 9101 made that unnecessary, and PAR / FAPI 2.0 send these two alone as well.
    return new URLSearchParams({ client_id: core.client.client_id, request })
  }
}
