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
 * here) or encoded: base64url, or standard base64 (line breaks and padding too), which is sent
 * as base64url without line breaks or padding (RFC 7522 §2.1). Anything else is
 * INVALID_ARGUMENT.
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
    : toBase64Url(options.assertion)
  const params = toSearchParams({ assertion, scope: options.scope })
  return genericGrant(core, 'urn:ietf:params:oauth:grant-type:saml2-bearer', params, options.signal)
}

/** An encoded assertion as RFC 7522 §2.1 wants it: base64url, not line-wrapped, no padding. */
function toBase64Url(encoded: string): string {
  const url = encoded.replace(/\s/g, '').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  if (!/^[\w-]+$/.test(url))
    throw new InvalidArgumentError('saml2Bearer needs the assertion as XML, base64url or base64')
  return url
}
