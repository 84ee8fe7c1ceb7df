import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { base64url } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { SignedXml } from 'xml-crypto'
import { type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { claims, tokenRequest } from './helpers.ts'

const IDP = 'https://saml-idp.example.test'
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
let idp: { key: string; cert: string }
let other: { key: string; cert: string }
beforeAll(async () => {
  idp = selfSigned()
  other = selfSigned()
  server = await startReferenceServer({
    port: 0,
    trustedIssuers: [{ issuer: IDP, certificate: idp.cert }],
  })
})
afterAll(() => server.close())

function assertionXml(
  o: {
    issuer?: string
    audience?: string
    recipient?: string
    notOnOrAfter?: Date
    subject?: string
  } = {},
) {
  const now = new Date()
  const until = (o.notOnOrAfter ?? new Date(now.getTime() + 300_000)).toISOString()
  const id = `_${crypto.randomUUID()}`
  return `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${now.toISOString()}"><saml:Issuer>${o.issuer ?? IDP}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${o.subject ?? 'saml-user-7'}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${o.recipient ?? `${server.issuer}/token`}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${new Date(now.getTime() - 60_000).toISOString()}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${o.audience ?? server.issuer}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${now.toISOString()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement></saml:Assertion>`
}

function sign(xml: string, key = idp.key): string {
  const sig = new SignedXml({
    privateKey: key,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  })
  sig.addReference({
    xpath: "/*[local-name(.)='Assertion']",
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  })
  sig.computeSignature(xml, {
    location: {
      reference: "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']",
      action: 'after',
    },
  })
  return sig.getSignedXml()
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
  const xml = sign(assertionXml())
  const ok = await send(xml)
  expect(ok.status).toBe(200)
  expect(claims(ok.body.access_token)).toMatchObject({ sub: 'saml-user-7', scope: 'api:read' })
  expect((await send(xml)).body.error).toBe('invalid_grant')
})

it('refuses unsigned, tampered, foreign-key, wrong audience/recipient and expired assertions', async () => {
  const cases = [
    assertionXml(),
    sign(assertionXml()).replace('saml-user-7', 'admin'),
    sign(assertionXml(), other.key),
    sign(assertionXml({ audience: 'https://other.example.test' })),
    sign(assertionXml({ recipient: 'https://other.example.test/token' })),
    sign(assertionXml({ notOnOrAfter: new Date(Date.now() - 60_000) })),
    sign(assertionXml({ issuer: 'https://unknown-idp.example.test' })),
  ]
  for (const xml of cases) {
    const res = await send(xml)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_grant')
  }
})

it('refuses a signature-wrapping attempt (signed assertion moved, unsigned one in front)', async () => {
  const signed = sign(assertionXml({ subject: 'honest-user' }))
  const evil = assertionXml({ subject: 'admin' }).replace(
    '</saml:Assertion>',
    `<saml:Advice>${signed}</saml:Advice></saml:Assertion>`,
  )
  const res = await send(evil)
  expect(res.body.error).toBe('invalid_grant')
})
