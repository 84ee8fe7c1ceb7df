import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { base64url } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  createSamlAssertion,
  DEMO_SAML_ISSUER,
  type ReferenceServer,
  type SamlAssertionOptions,
  startReferenceServer,
} from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { claims, tokenRequest } from './helpers.ts'

const GRANT = 'urn:ietf:params:oauth:grant-type:saml2-bearer'

/** A fresh self-signed RSA certificate (openssl, which fails loudly when missing). */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'openrp-saml-'))
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=openrp test IdP',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    )
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

let server: ReferenceServer
let other: { key: string; cert: string }
beforeAll(async () => {
  other = selfSigned()
  // default options: the demo SAML identity provider (DEMO_SAML_ISSUER) is trusted
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => server.close())

/** A signed assertion from the demo SAML identity provider, as XML. */
function assertionXml(o: Partial<SamlAssertionOptions> = {}): string {
  const encoded = createSamlAssertion({ subject: 'saml-user-7', audience: server.issuer, ...o })
  return new TextDecoder().decode(base64url.decode(encoded))
}

const send = (xml: string) =>
  tokenRequest(server.issuer, {
    grant_type: GRANT,
    client_id: 'exchange',
    client_secret: 'exchange-secret',
    assertion: base64url.encode(xml),
    scope: 'api:read',
  })

it('issues a token for a signed assertion of a trusted issuer; the assertion is single use', async () => {
  const xml = assertionXml()
  expect(xml).toContain(`<saml:Issuer>${DEMO_SAML_ISSUER}</saml:Issuer>`)
  const ok = await send(xml)
  expect(ok.status).toBe(200)
  expect(claims(ok.body.access_token)).toMatchObject({ sub: 'saml-user-7', scope: 'api:read' })
  expect((await send(xml)).body.error).toBe('invalid_grant')
})

it('refuses unsigned, tampered, foreign-key, wrong audience/recipient and expired assertions', async () => {
  const cases = [
    assertionXml({ signed: false }),
    assertionXml().replace('saml-user-7', 'admin'),
    assertionXml({ privateKey: other.key }),
    // a foreign key's certificate in KeyInfo is not trusted: only the configured one is
    assertionXml({ privateKey: other.key, certificate: other.cert }),
    assertionXml({
      audience: 'https://other.example.test',
      recipient: `${server.issuer}/token`,
    }),
    assertionXml({ recipient: 'https://other.example.test/token' }),
    assertionXml({ notOnOrAfterSec: -60 }),
    assertionXml({ issuer: 'https://unknown-idp.example.test' }),
  ]
  for (const xml of cases) {
    const res = await send(xml)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_grant')
  }
})

it('refuses a signature-wrapping attempt (signed assertion moved, unsigned one in front)', async () => {
  const signed = assertionXml({ subject: 'honest-user' })
  const evil = assertionXml({ subject: 'admin', signed: false }).replace(
    '</saml:Assertion>',
    `<saml:Advice>${signed}</saml:Advice></saml:Assertion>`,
  )
  const res = await send(evil)
  expect(res.body.error).toBe('invalid_grant')
})

it('accepts an assertion of a configured issuer and certificate (trustedIssuers option)', async () => {
  const issuer = 'https://own-idp.example.test'
  const own = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    trustedIssuers: [{ issuer, certificate: other.cert }],
  })
  try {
    const request = (assertion: string) =>
      tokenRequest(own.issuer, {
        grant_type: GRANT,
        client_id: 'exchange',
        client_secret: 'exchange-secret',
        assertion,
        scope: 'api:read',
      })
    const ok = await request(
      createSamlAssertion({
        issuer,
        subject: 'own-user',
        audience: own.issuer,
        privateKey: other.key,
      }),
    )
    expect(ok.status).toBe(200)
    expect(claims(ok.body.access_token).sub).toBe('own-user')
    // the option replaces the defaults: the demo identity provider is no longer trusted
    const demo = await request(createSamlAssertion({ subject: 'own-user', audience: own.issuer }))
    expect(demo.body.error).toBe('invalid_grant')
  } finally {
    await own.close()
  }
})
