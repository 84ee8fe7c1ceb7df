/**
 * Throw-away certificates: a CA from createSelfSignedCertificate issues end-entity certificates
 * (issueCertificate) whose chains a TLS server verifies against that CA.
 */
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer, type TLSSocket } from 'node:tls'
import { describe, expect, it } from 'vitest'
import {
  certificateThumbprint,
  createSelfSignedCertificate,
  issueCertificate,
} from '../src/certificate.ts'

const ca = createSelfSignedCertificate({ commonName: 'openrp test CA' })

describe('issueCertificate', () => {
  it('issues an end-entity certificate signed by the CA, with its subject and SANs', () => {
    const issued = issueCertificate(ca, {
      commonName: 'billing-daemon',
      dnsNames: ['billing.example.test'],
      ipAddresses: ['127.0.0.1'],
    })
    const cert = new X509Certificate(issued.cert)
    const caCert = new X509Certificate(ca.cert)
    expect(cert.subject).toBe('CN=billing-daemon')
    expect(cert.issuer).toBe('CN=openrp test CA')
    expect(cert.ca).toBe(false)
    expect(cert.subjectAltName).toBe('IP Address:127.0.0.1, DNS:billing.example.test')
    expect(cert.checkIssued(caCert)).toBe(true)
    expect(cert.verify(caCert.publicKey)).toBe(true)
    expect(issued.thumbprint).toBe(certificateThumbprint(cert))
    expect(cert.checkPrivateKey(createPrivateKey(issued.key))).toBe(true)
  })

  it('makes chains a TLS server verifies against the CA; a self-signed one is not verified', async () => {
    const serverCert = issueCertificate(ca, { ipAddresses: ['127.0.0.1'] })
    const server = createServer({
      cert: serverCert.cert,
      key: serverCert.key,
      ca: ca.cert,
      requestCert: true,
      rejectUnauthorized: false,
    })
    const verdicts: Array<{ authorized: boolean; subject?: string }> = []
    server.on('secureConnection', (socket: TLSSocket) => {
      verdicts.push({
        authorized: socket.authorized,
        subject: socket.getPeerX509Certificate()?.subject,
      })
      socket.end()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as { port: number }).port
    const hello = async (client: { cert: string; key: string }) => {
      // The client checks the server's chain (issued by the CA) and its IP SAN.
      const socket = connect({ host: '127.0.0.1', port, ca: ca.cert, ...client })
      await once(socket, 'secureConnect')
      expect(socket.authorized).toBe(true)
      await once(socket, 'end')
      socket.destroy()
    }
    try {
      await hello(issueCertificate(ca, { commonName: 'daemon' }))
      await hello(createSelfSignedCertificate({ commonName: 'stranger' }))
    } finally {
      server.close()
    }
    expect(verdicts).toEqual([
      { authorized: true, subject: 'CN=daemon' },
      { authorized: false, subject: 'CN=stranger' },
    ])
  })

  it('refuses an issuer whose key is not P-256 (TypeError)', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const key = p384.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    expect(() => issueCertificate({ cert: ca.cert, key })).toThrow(TypeError)
  })
})
