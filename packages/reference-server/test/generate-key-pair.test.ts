// The `generateKeyPair` option: the server signs with the pairs it makes, at start and on every
// rotation, and publishes their public halves.
import { fixedKeyPairs } from '@openrp/testkit'
import { exportJWK, jwtVerify } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { type Json, passwordTokens } from './helpers.ts'

const source = fixedKeyPairs()
const made: Array<{ alg: string; publicKey: CryptoKey }> = []
let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({
    port: 0,
    generateKeyPair: async (alg) => {
      const pair = await source(alg)
      made.push({ alg, publicKey: pair.publicKey })
      return pair
    },
  })
})
afterAll(() => server.close())

const publishedModuli = async () =>
  ((await (await fetch(`${server.issuer}/jwks`)).json()) as Json).keys
    .filter((k: Json) => k.kty === 'RSA')
    .map((k: Json) => k.n)

it('signs with the RS256 pair the option made, and publishes it', async () => {
  expect(made.map((m) => m.alg).sort()).toEqual(['ES256', 'RS256'])
  const first = made.find((m) => m.alg === 'RS256')!.publicKey
  const { body } = await passwordTokens(server.issuer, 'openid')
  await expect(jwtVerify(body.access_token, first)).resolves.toBeDefined()
  expect(await publishedModuli()).toEqual([(await exportJWK(first)).n])
})

it('asks it again on each rotation: the new pair signs, the old one stays published', async () => {
  const before = made.length
  await server.control.rotateKeys()
  expect(
    made
      .slice(before)
      .map((m) => m.alg)
      .sort(),
  ).toEqual(['ES256', 'RS256'])
  const [first, second] = made.filter((m) => m.alg === 'RS256').map((m) => m.publicKey)
  const { body } = await passwordTokens(server.issuer, 'openid')
  await expect(jwtVerify(body.access_token, second!)).resolves.toBeDefined()
  expect(await publishedModuli()).toEqual([
    (await exportJWK(second!)).n,
    (await exportJWK(first!)).n,
  ])
})
