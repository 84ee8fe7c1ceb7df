/// <reference types="node" />
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSamlAssertion, type SamlAssertionOptions } from '@openrp/reference-server'
import { base64url, decodeJwt } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { OAuthError, TokenSet } from '../src/index.ts'
import { useReferenceServer } from './helpers/reference.ts'

const GRANT = 'urn:ietf:params:oauth:grant-type:saml2-bearer'
const h = useReferenceServer()

/** An RSA key the server does not trust (openssl, which fails loudly when missing). */
function untrustedKey(): string {
  const dir = mkdtempSync(join(tmpdir(), 'openrp-saml-'))
  try {
    const key = join(dir, 'key.pem')
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-out', key], { stdio: 'pipe' })
    return readFileSync(key, 'utf8')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

let foreignKey: string
beforeAll(() => {
  foreignKey = untrustedKey()
})

const gateway = () =>
  h.client({
    clientId: 'exchange',
    clientSecret: 'exchange-secret',
    clientAuth: 'client_secret_post',
  })

const assertion = (o: Partial<SamlAssertionOptions> = {}) =>
  createSamlAssertion({ subject: 'saml-user-42', audience: h.server.issuer, ...o })

describe('saml2Bearer (RFC 7522) against the reference server', () => {
  it('exchanges a signed assertion of the demo SAML identity provider for tokens', async () => {
    const client = await gateway()
    const tokens = await client.saml2Bearer({ assertion: assertion(), scope: 'api:read' })
    expect(tokens).toBeInstanceOf(TokenSet)
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.scope).toBe('api:read')
    expect(tokens.idToken).toBeUndefined()
    expect(decodeJwt(tokens.accessToken)).toMatchObject({
      sub: 'saml-user-42',
      client_id: 'exchange',
      scope: 'api:read',
    })
    const [request] = h.server.control.requests({ endpoint: 'token' })
    expect(request).toMatchObject({ grantType: GRANT, status: 200, clientId: 'exchange' })
  })

  it('accepts the assertion as XML too (base64url-encoded by the client)', async () => {
    const client = await gateway()
    const xml = new TextDecoder().decode(base64url.decode(assertion({ subject: 'xml-user' })))
    const tokens = await client.saml2Bearer({ assertion: xml, scope: 'api:read' })
    expect(decodeJwt(tokens.accessToken).sub).toBe('xml-user')
  })

  it('a used assertion is refused the second time', async () => {
    const client = await gateway()
    const once = assertion()
    await client.saml2Bearer({ assertion: once })
    await expect(client.saml2Bearer({ assertion: once })).rejects.toMatchObject({
      code: 'INVALID_GRANT',
      error: 'invalid_grant',
    })
  })

  const refusals: Array<[string, () => Partial<SamlAssertionOptions>]> = [
    ['signed by an untrusted key', () => ({ privateKey: foreignKey })],
    ['expired', () => ({ notOnOrAfterSec: -60 })],
    [
      'for another audience',
      () => ({
        audience: 'https://other-as.example.test',
        recipient: `${h.server.issuer}/token`,
      }),
    ],
    ['unsigned', () => ({ signed: false })],
  ]
  for (const [name, options] of refusals) {
    it(`refuses an assertion ${name}: OAuthError invalid_grant, no tokens`, async () => {
      const client = await gateway()
      let result: TokenSet | undefined
      let failure: unknown
      try {
        result = await client.saml2Bearer({ assertion: assertion(options()), scope: 'api:read' })
      } catch (error) {
        failure = error
      }
      expect(result).toBeUndefined()
      expect(failure).toBeInstanceOf(OAuthError)
      expect(failure).toMatchObject({ code: 'INVALID_GRANT', error: 'invalid_grant', status: 400 })
      expect(h.server.control.requests({ endpoint: 'token' }).map((r) => r.status)).toEqual([400])
    })
  }
})
