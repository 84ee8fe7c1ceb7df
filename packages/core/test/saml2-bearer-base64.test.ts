/**
 * Regression: saml2Bearer() sent an assertion given in standard base64 (`+`, `/`, `=` padding,
 * lines of 76 characters: the form SAML tools emit) as it was, although RFC 7522 §2.1 requires
 * base64url without line wrapping; the provider refused it (`invalid_grant`). It is now re-encoded
 * as base64url, and an assertion that is neither XML nor base64 is INVALID_ARGUMENT before any
 * request.
 */
import { createSamlAssertion } from '@openrp/reference-server'
import { base64url, decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const gateway = () =>
  h.client({
    clientId: 'exchange',
    clientSecret: 'exchange-secret',
    clientAuth: 'client_secret_post',
  })

/** Standard base64 in lines of 76 characters, as MIME and most SAML libraries write it. */
function mimeBase64(bytes: Uint8Array): string {
  const plain = btoa(String.fromCharCode(...bytes))
  return plain.match(/.{1,76}/g)?.join('\r\n') ?? plain
}

describe('saml2Bearer sends the assertion base64url-encoded (RFC 7522 §2.1)', () => {
  it('re-encodes a standard base64 assertion with line breaks and padding', async () => {
    const client = await gateway()
    const xml = base64url.decode(
      createSamlAssertion({ subject: 'b64-user', audience: h.server.issuer }),
    )
    // A length that is no multiple of 3 gives padding (a newline after the XML keeps it valid).
    const padded = xml.length % 3 === 0 ? new Uint8Array([...xml, 10]) : xml
    const assertion = mimeBase64(padded)
    expect(assertion).toMatch(/=\s*$/)
    expect(assertion).toContain('\r\n')
    const tokens = await client.saml2Bearer({ assertion, scope: 'api:read' })
    expect(decodeJwt(tokens.accessToken).sub).toBe('b64-user')
  })

  it('refuses an assertion that is neither XML nor base64', async () => {
    const client = await gateway()
    h.server.control.clearRequests()
    await expect(client.saml2Bearer({ assertion: 'not an assertion!' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })
})
