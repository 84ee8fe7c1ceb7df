// The signature of a token endpoint ID token, checked by openrp with WebCrypto over its own JWKS
// cache (token-id-token.ts): every JWS alg openrp accepts verifies; a bad signature, a key the
// JWK's alg / use / key_ops / curve rule out and an RSA key under 2048 bits are refused with
// their codes; the keys are imported once per key set.
import { fixedKeyPairs } from '@openrp/testkit'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { Client } from '../src/client.ts'

const issuer = 'https://op.example.test'
const metadata = {
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
  id_token_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'],
}

/** A client whose fetch serves `jwks` and a token response carrying `idToken`. */
function clientFor(jwks: { keys: JWK[] }, idToken: () => string) {
  let jwksFetches = 0
  const fetch = (async (url: string) => {
    if (url === metadata.jwks_uri) {
      jwksFetches++
      return Response.json(jwks)
    }
    return Response.json({
      access_token: 'at',
      token_type: 'Bearer',
      expires_in: 60,
      refresh_token: 'rt-2',
      id_token: idToken(),
    })
  }) as typeof globalThis.fetch
  const client = new Client(metadata, { clientId: 'c1', fetch })
  return { client, jwksFetches: () => jwksFetches }
}

const claims = () => {
  const now = Math.floor(Date.now() / 1000)
  return { iss: issuer, aud: 'c1', sub: 'u1', iat: now, exp: now + 300 }
}

/** RS256 / PS256 pairs are fixed RSA test keys: no RSA generation per test. */
const fixedKeys = fixedKeyPairs()

async function keyPair(alg: string, jwk: Partial<JWK> = {}) {
  const { publicKey, privateKey } =
    alg === 'RS256' || alg === 'PS256'
      ? await fixedKeys(alg)
      : await generateKeyPair(alg, { extractable: true })
  const pub = { ...(await exportJWK(publicKey)), kid: `${alg}-1`, ...jwk }
  const sign = () =>
    new SignJWT(claims()).setProtectedHeader({ alg, kid: pub.kid }).sign(privateKey)
  return { pub, sign }
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code,
  )

describe('token endpoint ID-token signatures', () => {
  it.each(['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'])(
    '%s verifies, and with a flipped signature is refused',
    async (alg) => {
      const { pub, sign } = await keyPair(alg)
      const token = await sign()
      const { client } = clientFor({ keys: [pub] }, () => token)
      const tokens = await client.refresh('rt-1')
      expect(tokens.claims()?.sub).toBe('u1')
      const [h, p, s] = token.split('.') as [string, string, string]
      const flipped = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`
      const bad = clientFor({ keys: [pub] }, () => flipped)
      expect(await codeOf(bad.client.refresh('rt-1'))).toBe('JWT_SIGNATURE_INVALID')
    },
  )

  it('once the keys are imported, a bad signature is still refused and fetches no key set', async () => {
    const { pub, sign } = await keyPair('RS256')
    let token = await sign()
    const { client, jwksFetches } = clientFor({ keys: [pub] }, () => token)
    expect((await client.refresh('rt-1')).claims()?.sub).toBe('u1')
    const [h, p, s] = (await sign()).split('.') as [string, string, string]
    token = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`
    expect(await codeOf(client.refresh('rt-1'))).toBe('JWT_SIGNATURE_INVALID')
    token = await sign()
    expect((await client.refresh('rt-1')).claims()?.sub).toBe('u1')
    expect(jwksFetches()).toBe(1)
  })

  it('a key whose alg, use, key_ops or curve rules it out is no key for the token', async () => {
    const { pub, sign } = await keyPair('ES256')
    const token = await sign()
    for (const unusable of [
      { ...pub, alg: 'ES384' },
      { ...pub, use: 'enc' },
      { ...pub, key_ops: ['encrypt'] },
      { ...pub, crv: 'P-384' },
      { ...pub, kid: 'another' },
      { ...pub, kty: 'RSA' },
    ]) {
      const { client } = clientFor({ keys: [unusable] }, () => token)
      expect(await codeOf(client.refresh('rt-1'))).toBe('JWKS_NO_MATCHING_KEY')
    }
  })

  it('an RSA key under 2048 bits is no key for the token', async () => {
    const pair = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const pub = { ...(await exportJWK(pair.publicKey)), kid: 'short' }
    const b64u = (text: string | Uint8Array) => Buffer.from(text).toString('base64url')
    const input = `${b64u(JSON.stringify({ alg: 'RS256', kid: 'short' }))}.${b64u(JSON.stringify(claims()))}`
    const signature = await crypto.subtle.sign(
      'RSASSA-PKCS1-v1_5',
      pair.privateKey,
      new TextEncoder().encode(input),
    )
    const token = `${input}.${b64u(new Uint8Array(signature))}`
    const { client } = clientFor({ keys: [pub] }, () => token)
    expect(await codeOf(client.refresh('rt-1'))).toBe('JWKS_NO_MATCHING_KEY')
  })

  it('without a kid, each key that fits is tried; the key set is fetched once for many tokens', async () => {
    const other = await keyPair('ES256')
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const pub = await exportJWK(publicKey)
    const sign = () => new SignJWT(claims()).setProtectedHeader({ alg: 'ES256' }).sign(privateKey)
    let token = await sign()
    const { client, jwksFetches } = clientFor(
      { keys: [{ ...other.pub, kid: undefined }, pub] },
      () => token,
    )
    for (let i = 0; i < 3; i++) {
      token = await sign()
      expect((await client.refresh('rt-1')).claims()?.sub).toBe('u1')
    }
    expect(jwksFetches()).toBe(1)
  })
})
