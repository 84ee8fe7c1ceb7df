import { spawnSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A throw-away self-signed certificate for https://127.0.0.1, written to a temp directory. */
export interface LoopbackCert {
  certPath: string
  keyPath: string
  /** How it was made: `openssl` or `node:crypto`. */
  madeWith: string
}

/**
 * Makes a self-signed P-256 certificate for IP 127.0.0.1 valid for a day: with `openssl req
 * -x509` when openssl is installed, else with node:crypto and a minimal DER encoder.
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

// --- a minimal X.509 v3 writer (DER), for machines without openssl ---------------------------

const der = (tag: number, content: Buffer): Buffer => {
  const n = content.length
  let len: Buffer
  if (n < 0x80) len = Buffer.from([n])
  else {
    const bytes: number[] = []
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff)
    len = Buffer.from([0x80 | bytes.length, ...bytes])
  }
  return Buffer.concat([Buffer.from([tag]), len, content])
}
const seq = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts))
const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex')
const utcTime = (d: Date) =>
  der(0x17, Buffer.from(`${d.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`))

function selfSignedWithNodeCrypto(): { cert: string; key: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ecdsaWithSha256 = seq(hex('06082a8648ce3d040302'))
  // CN=127.0.0.1
  const name = seq(der(0x31, seq(hex('0603550403'), der(0x0c, Buffer.from('127.0.0.1')))))
  const serial = randomBytes(16)
  serial[0] = serial[0]! & 0x7f
  const now = Date.now()
  const extensions = der(
    0xa3,
    seq(
      // subjectAltName: IP 127.0.0.1
      seq(hex('0603551d11'), der(0x04, seq(hex('87047f000001')))),
      // basicConstraints: CA (it is its own trust anchor)
      seq(hex('0603551d13'), der(0x04, seq(hex('0101ff')))),
    ),
  )
  const tbs = seq(
    hex('a003020102'),
    der(0x02, serial),
    ecdsaWithSha256,
    name,
    seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  )
  const signature = sign('sha256', tbs, privateKey)
  const cert = seq(tbs, ecdsaWithSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const pem = (label: string, body: Buffer) =>
    `-----BEGIN ${label}-----\n${body.toString('base64').replace(/.{64}/g, '$&\n').trim()}\n-----END ${label}-----\n`
  return {
    cert: pem('CERTIFICATE', cert),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
}

/** Exposed for the self-check in bench/test: the fallback path without openssl. */
export const _selfSignedWithNodeCrypto = selfSignedWithNodeCrypto
export const readPem = (path: string) => readFileSync(path, 'utf8')
