/**
 * Test signing keys and an ID-token factory (jose), for unit tests of the checks openrp runs
 * on tokens it did not get from the reference server.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'

export interface TestKey {
  kid: string
  alg: string
  privateKey: CryptoKey
  publicJwk: JWK
}

/** RS256 / PS256 keys are fixed test keys (no RSA generation), each call a different one. */
const fixedKeys = fixedKeyPairs()

export async function testKey(kid: string, alg = 'RS256'): Promise<TestKey> {
  const { privateKey, publicKey } =
    alg === 'RS256' || alg === 'PS256' || alg === 'ES256'
      ? await fixedKeys(alg)
      : await generateKeyPair(alg, { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, publicJwk }
}

export interface SignOptions {
  key: TestKey
  header?: Record<string, unknown>
  /** Omit `kid` from the header. */
  noKid?: boolean
}

export async function signJwt(
  claims: Record<string, unknown>,
  { key, header, noKid }: SignOptions,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, ...(noKid ? {} : { kid: key.kid }), ...header })
    .sign(key.privateKey)
}

/** Valid ID-token claims for `issuer` / `clientId`, overridable. */
export function idTokenClaims(
  issuer: string,
  clientId: string,
  extra: Record<string, unknown> = {},
) {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: issuer,
    sub: 'user-1',
    aud: clientId,
    exp: now + 300,
    iat: now,
    nonce: 'n-1',
    ...extra,
  }
}

/** An unsigned (`alg: none`) JWT. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${enc({ alg: 'none' })}.${enc(claims)}.`
}
