/**
 * Throw-away self-signed X.509 certificates made with node:crypto alone (no openssl needed):
 * the server certificate of the mutual-TLS listener, and client certificates for tests of
 * RFC 8705. A minimal DER writer: one P-256 key, a subject with a common name, optional
 * subjectAltNames, basicConstraints.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'

/** Options of {@link createSelfSignedCertificate}. */
export interface SelfSignedCertificateOptions {
  /** The subject's (and issuer's) common name: the subject DN is `CN=<commonName>`. */
  commonName?: string
  /** subjectAltName IP addresses (IPv4 or IPv6), e.g. `['127.0.0.1']`. */
  ipAddresses?: string[]
  /** subjectAltName DNS names, e.g. `['localhost']`. */
  dnsNames?: string[]
  /** Validity from a minute ago, days (default 1). */
  days?: number
}

/** A self-signed certificate, its key (PEM) and its RFC 8705 thumbprint. */
export interface SelfSignedCertificate {
  /** The certificate, PEM. */
  cert: string
  /** Its P-256 private key, PKCS #8 PEM. */
  key: string
  /** `x5t#S256`: base64url SHA-256 of the DER certificate (RFC 8705 §3.1). */
  thumbprint: string
}

/**
 * Makes a self-signed P-256 certificate (CA flag set, so it can be its own trust anchor, e.g.
 * the `ca` of a client that talks to the mutual-TLS listener).
 *
 * @example
 * ```ts
 * const client = createSelfSignedCertificate({ commonName: 'billing-daemon' })
 * // client.cert / client.key for mtlsFetch(), client.thumbprint is the token's cnf["x5t#S256"]
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-4.1
 */
export function createSelfSignedCertificate(
  options: SelfSignedCertificateOptions = {},
): SelfSignedCertificate {
  const commonName = options.commonName ?? '127.0.0.1'
  const days = options.days ?? 1
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ecdsaWithSha256 = seq(hex('06082a8648ce3d040302'))
  const name = seq(der(0x31, seq(hex('0603550403'), der(0x0c, Buffer.from(commonName)))))
  const serial = randomBytes(16)
  // Positive and minimally encoded (DER): first byte 0x40..0x7f.
  serial[0] = ((serial[0] as number) & 0x3f) | 0x40
  const now = Date.now()
  const altNames = [
    ...(options.ipAddresses ?? []).map((ip) => der(0x87, ipBytes(ip))),
    ...(options.dnsNames ?? []).map((dns) => der(0x82, Buffer.from(dns, 'ascii'))),
  ]
  const extensions = der(
    0xa3,
    seq(
      ...(altNames.length ? [seq(hex('0603551d11'), der(0x04, seq(...altNames)))] : []),
      // basicConstraints: CA (it is its own trust anchor)
      seq(hex('0603551d13'), der(0x04, seq(hex('0101ff')))),
    ),
  )
  const tbs = seq(
    hex('a003020102'),
    der(0x02, serial),
    ecdsaWithSha256,
    name,
    seq(time(new Date(now - 60_000)), time(new Date(now + days * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  )
  const signature = sign('sha256', tbs, privateKey)
  const certDer = seq(tbs, ecdsaWithSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const body = certDer.toString('base64').replace(/.{64}/g, '$&\n').trim()
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    thumbprint: certificateThumbprint(certDer),
  }
}

/**
 * `x5t#S256` of a certificate (DER bytes or a parsed one): base64url SHA-256 of its DER.
 *
 * @example
 * ```ts
 * const x5t = certificateThumbprint(new X509Certificate(pem)) // compare with cnf["x5t#S256"]
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-3.1
 */
export function certificateThumbprint(cert: Uint8Array | X509Certificate): string {
  const bytes = cert instanceof X509Certificate ? cert.raw : cert
  return createHash('sha256').update(bytes).digest('base64url')
}

function der(tag: number, content: Buffer): Buffer {
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

function seq(...parts: Buffer[]): Buffer {
  return der(0x30, Buffer.concat(parts))
}

function hex(h: string): Buffer {
  return Buffer.from(h, 'hex')
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString()
  const digits = `${iso.slice(0, 19).replace(/[-T:]/g, '')}Z`
  return d.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(digits.slice(2)))
    : der(0x18, Buffer.from(digits))
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number))
  if (!isIPv6(ip)) throw new TypeError(`not an IP address: ${ip}`)
  const [head = '', tail = ''] = ip.split('::')
  const groups = (part: string) => (part ? part.split(':') : [])
  const h = groups(head)
  const t = groups(tail)
  const all = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h
  const out = Buffer.alloc(16)
  for (const [i, g] of all.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2)
  return out
}
