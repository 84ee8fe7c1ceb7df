/**
 * RFC 8705 §2.1: `tls_client_auth` is the PKI method. The certificate's chain is validated
 * against trusted CAs (`mtlsCa`) before its subject DN or SAN is compared: a certificate that
 * merely claims the registered subject authenticates no one.
 */
import { request } from 'node:https'
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ClientConfig,
  createSelfSignedCertificate,
  issueCertificate,
  type ReferenceServer,
  startReferenceServer,
} from '../src/index.ts'
import type { Json } from './helpers.ts'

const ca = createSelfSignedCertificate({ commonName: 'openrp test CA' })
const otherCa = createSelfSignedCertificate({ commonName: 'another CA' })
const daemon = issueCertificate(ca, { commonName: 'daemon' })
const byOtherCa = issueCertificate(otherCa, { commonName: 'daemon' })
const selfSignedDaemon = createSelfSignedCertificate({ commonName: 'daemon' })
const expired = issueCertificate(ca, { commonName: 'daemon', days: -1 })
const san = issueCertificate(ca, { commonName: 'svc', dnsNames: ['svc.example.test'] })
const selfSignedSan = createSelfSignedCertificate({
  commonName: 'svc',
  dnsNames: ['svc.example.test'],
})

const CLIENTS: ClientConfig[] = [
  {
    client_id: 'daemon',
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: 'CN=daemon',
    grant_types: ['client_credentials'],
    scope: 'api:read',
  },
  {
    client_id: 'san',
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_san_dns: 'svc.example.test',
    grant_types: ['client_credentials'],
    scope: 'api:read',
  },
]

const servers: ReferenceServer[] = []
let trusting: ReferenceServer
let untrusting: ReferenceServer
beforeAll(async () => {
  trusting = await startReferenceServer({
    generateKeyPair: fixedKeyPairs(),
    clients: CLIENTS,
    mtlsCa: ca.cert,
  })
  untrusting = await startReferenceServer({ generateKeyPair: fixedKeyPairs(), clients: CLIENTS })
  servers.push(trusting, untrusting)
})
afterAll(() => Promise.all(servers.map((s) => s.close())))

/** A client_credentials request at the mutual-TLS token endpoint with `cert`. */
function token(
  server: ReferenceServer,
  clientId: string,
  cert: { cert: string; key: string },
): Promise<{ status: number; body: Json }> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId })
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.mtlsUrl}/token`,
      {
        method: 'POST',
        ca: server.mtlsCertificate,
        cert: cert.cert,
        key: cert.key,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        agent: false,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
      },
    )
    req.on('error', reject)
    req.end(body.toString())
  })
}

describe('tls_client_auth validates the certificate chain (RFC 8705 §2.1)', () => {
  it('a certificate of a trusted CA with the registered subject DN or SAN authenticates', async () => {
    expect((await token(trusting, 'daemon', daemon)).status).toBe(200)
    expect((await token(trusting, 'san', san)).status).toBe(200)
  })

  it('a self-signed certificate with the registered subject DN or SAN is invalid_client', async () => {
    const dn = await token(trusting, 'daemon', selfSignedDaemon)
    expect(dn.status).toBe(401)
    expect(dn.body.error).toBe('invalid_client')
    const dns = await token(trusting, 'san', selfSignedSan)
    expect(dns.status).toBe(401)
    expect(dns.body.error).toBe('invalid_client')
  })

  it('a certificate of an untrusted CA, or an expired one, is invalid_client', async () => {
    expect((await token(trusting, 'daemon', byOtherCa)).body.error).toBe('invalid_client')
    expect((await token(trusting, 'daemon', expired)).body.error).toBe('invalid_client')
  })

  it('without mtlsCa no certificate chain is trusted: tls_client_auth authenticates no one', async () => {
    const res = await token(untrusting, 'daemon', daemon)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect((await token(untrusting, 'daemon', selfSignedDaemon)).body.error).toBe('invalid_client')
  })
})
