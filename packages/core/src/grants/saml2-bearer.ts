/**
 * SAML 2.0 bearer assertion grant (RFC 7522 §2.1).
 *
 * @module
 */
import type { ClientCore } from '../client-core.ts'
import { InvalidArgumentError } from '../errors.ts'
import type { TokenSet } from '../token-set.ts'
import { genericGrant, toSearchParams } from './generic.ts'
import type { AssertionGrantOptions } from './jwt-bearer.ts'
import { encodeBase64Url } from '../internal/base64url.ts'

/**
 * Exchanges a SAML 2.0 assertion for tokens. Pass the assertion as XML (it is base64url-encoded
 * here) or already base64url-encoded.
 *
 * @example
 * ```ts
 * const tokens = await saml2Bearer(core, { assertion: samlXml })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7522#section-2.1
 */
export async function saml2Bearer(
  core: ClientCore,
  options: AssertionGrantOptions,
): Promise<TokenSet> {
  if (typeof options?.assertion !== 'string' || options.assertion === '')
    throw new InvalidArgumentError('saml2Bearer needs an assertion')
  const assertion = options.assertion.trimStart().startsWith('<')
    ? encodeBase64Url(new TextEncoder().encode(options.assertion))
    : options.assertion
  const params = toSearchParams({ assertion, scope: options.scope })
  return genericGrant(core, 'urn:ietf:params:oauth:grant-type:saml2-bearer', params, options.signal)
}
