import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSelfSignedCertificate } from '@openrp/reference-server'

/** A throw-away self-signed certificate for https://127.0.0.1, written to a temp directory. */
export interface LoopbackCert {
  certPath: string
  keyPath: string
  /** How it was made: `openssl` or `node:crypto`. */
  madeWith: string
}

/**
 * Makes a self-signed P-256 certificate for IP 127.0.0.1 valid for a day: with `openssl req
 * -x509` when openssl is installed, else with the reference server's createSelfSignedCertificate
 * (node:crypto and a minimal DER encoder).
 */
export function makeLoopbackCert(): LoopbackCert {
  const dir = mkdtempSync(join(tmpdir(), 'openrp-bench-tls-'))
  const certPath = join(dir, 'cert.pem')
  const keyPath = join(dir, 'key.pem')
  const openssl = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  )
  if (!openssl.error && openssl.status === 0) return { certPath, keyPath, madeWith: 'openssl' }
  const { cert, key } = selfSignedWithNodeCrypto()
  writeFileSync(certPath, cert)
  writeFileSync(keyPath, key)
  return { certPath, keyPath, madeWith: 'node:crypto' }
}

/** The reference server's certificate maker (node:crypto and a minimal DER writer). */
function selfSignedWithNodeCrypto(): { cert: string; key: string } {
  const { cert, key } = createSelfSignedCertificate({
    commonName: '127.0.0.1',
    ipAddresses: ['127.0.0.1'],
  })
  return { cert, key }
}

/** Exposed for the self-check in bench/test: the fallback path without openssl. */
export const _selfSignedWithNodeCrypto = selfSignedWithNodeCrypto
export const readPem = (path: string) => readFileSync(path, 'utf8')
