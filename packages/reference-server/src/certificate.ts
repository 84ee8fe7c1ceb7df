/**
 * Throw-away X.509 certificates made with node:crypto alone (no openssl needed): the server
 * certificate of the mutual-TLS listener, and client certificates for tests of RFC 8705, either
 * self-signed or issued by a throw-away CA (the PKI method, `tls_client_auth`). A minimal DER
 * writer: one P-256 key, a subject with a common name, optional subjectAltNames,
 * basicConstraints.
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'

/** Options of {@link createSelfSignedCertificate} and {@link issueCertificate}. */
export interface SelfSignedCertificateOptions {
  /** The subject's common name (the issuer's too when self-signed): the DN is `CN=<commonName>`. */
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
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const name = commonNameDer(options.commonName ?? '127.0.0.1')
  const cert = certificateDer(options, { publicKey, subject: name, issuer: name, privateKey }, true)
  return certificateResult(cert, privateKey)
}

/** The issuer of {@link issueCertificate}: a CA certificate and its P-256 private key (PEM). */
export interface CertificateIssuer {
  /** The CA certificate, PEM (e.g. one from {@link createSelfSignedCertificate}). */
  cert: string
  /** Its P-256 private key, PEM. */
  key: string
}

/** A certificate issued by a CA, its key (PEM) and its RFC 8705 thumbprint. */
export interface IssuedCertificate {
  /** The certificate, PEM. */
  cert: string
  /** Its P-256 private key, PKCS #8 PEM. */
  key: string
  /** `x5t#S256`: base64url SHA-256 of the DER certificate (RFC 8705 §3.1). */
  thumbprint: string
}

/**
 * Makes a P-256 end-entity certificate (not a CA) issued and signed by `issuer`: a server
 * certificate that clients trusting the CA accept, or a client certificate for the PKI method
 * of mutual-TLS client authentication (RFC 8705 §2.1), whose chain a server verifies against
 * the CA. The issuer's key must be a P-256 key (as {@link createSelfSignedCertificate} makes).
 *
 * @example
 * ```ts
 * const ca = createSelfSignedCertificate({ commonName: 'Test CA' })
 * const server = issueCertificate(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'] })
 * const client = issueCertificate(ca, { commonName: 'billing-daemon' })
 * // https.createServer({ ...server, ca: ca.cert, requestCert: true }): client's chain verifies
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2.1
 */
export function issueCertificate(
  issuer: CertificateIssuer,
  options: SelfSignedCertificateOptions = {},
): IssuedCertificate {
  const issuerKey = createPrivateKey(issuer.key)
  if (issuerKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new TypeError('issueCertificate() needs an issuer with a P-256 private key')
  const issuerName = subjectOf(new X509Certificate(issuer.cert).raw)
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const subject = commonNameDer(options.commonName ?? '127.0.0.1')
  const cert = certificateDer(
    options,
    { publicKey, subject, issuer: issuerName, privateKey: issuerKey },
    false,
  )
  return certificateResult(cert, privateKey)
}

const ecdsaWithSha256 = seq(hex('06082a8648ce3d040302'))

function commonNameDer(commonName: string): Buffer {
  return seq(der(0x31, seq(hex('0603550403'), der(0x0c, Buffer.from(commonName)))))
}

/** The DER of a certificate of `publicKey` for `subject`, signed by `issuer`'s `privateKey`. */
function certificateDer(
  options: SelfSignedCertificateOptions,
  keys: { publicKey: KeyObject; subject: Buffer; issuer: Buffer; privateKey: KeyObject },
  ca: boolean,
): Buffer {
  const days = options.days ?? 1
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
      // basicConstraints: CA for a self-signed certificate (its own trust anchor); an
      // end entity otherwise (cA FALSE is the DER default, so left out).
      seq(hex('0603551d13'), der(0x04, ca ? seq(hex('0101ff')) : seq())),
    ),
  )
  const tbs = seq(
    hex('a003020102'),
    der(0x02, serial),
    ecdsaWithSha256,
    keys.issuer,
    seq(time(new Date(now - 60_000)), time(new Date(now + days * 86_400_000))),
    keys.subject,
    keys.publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  )
  const signature = sign('sha256', tbs, keys.privateKey)
  return seq(tbs, ecdsaWithSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])))
}

function certificateResult(certDer: Buffer, privateKey: KeyObject) {
  const body = certDer.toString('base64').replace(/.{64}/g, '$&\n').trim()
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    thumbprint: certificateThumbprint(certDer),
  }
}

/**
 * The subject Name of a DER certificate, as encoded (RFC 5280 §4.1: Certificate ::= SEQUENCE {
 * tbsCertificate SEQUENCE { [0] version, serialNumber, signature, issuer, validity, subject ...
 */
function subjectOf(certDer: Buffer): Buffer {
  const tbs = children(children(certDer)[0] as Buffer)
  const fields = tbs[0]?.[0] === 0xa0 ? tbs.slice(1) : tbs
  const subject = fields[4]
  if (!subject) throw new TypeError('not an X.509 certificate')
  return subject
}

/** The TLVs inside a DER constructed value (the whole TLV is given). */
function children(tlv: Buffer): Buffer[] {
  const out: Buffer[] = []
  const { start, end } = extent(tlv, 0)
  for (let at = start; at < end; ) {
    const child = extent(tlv, at)
    out.push(tlv.subarray(at, child.end))
    at = child.end
  }
  return out
}

/** Where the content of the TLV at `at` starts and where the TLV ends. */
function extent(buf: Buffer, at: number): { start: number; end: number } {
  const first = buf[at + 1] as number
  if (first < 0x80) return { start: at + 2, end: at + 2 + first }
  const count = first & 0x7f
  let length = 0
  for (let i = 0; i < count; i++) length = length * 256 + (buf[at + 2 + i] as number)
  return { start: at + 2 + count, end: at + 2 + count + length }
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
