import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKCHANNEL_LOGOUT_EVENT, validateLogoutToken } from '../src/index.ts'
import { signJwt, type TestKey, testKey, unsignedJwt } from './helpers/keys.ts'
import { type StaticProvider, startStaticProvider } from './helpers/provider.ts'

let provider: StaticProvider
let key: TestKey

beforeAll(async () => {
  key = await testKey('k1')
  provider = await startStaticProvider([key])
})
afterAll(() => provider.close())

function claims(extra: Record<string, unknown> = {}) {
  return {
    iss: provider.metadata.issuer,
    aud: 'client-1',
    iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID(),
    sub: 'user-1',
    sid: 'session-1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...extra,
  }
}

describe('validateLogoutToken', () => {
  it('accepts a good logout token', async () => {
    const token = await signJwt(claims(), { key, header: { typ: 'logout+jwt' } })
    await expect(validateLogoutToken(provider.core(), token)).resolves.toMatchObject({
      sub: 'user-1',
      sid: 'session-1',
    })
  })

  it.each([
    ['no events claim', { events: undefined }],
    ['a wrong event', { events: { 'https://example.test/other': {} } }],
    ['an event that is not an object', { events: { [BACKCHANNEL_LOGOUT_EVENT]: 'yes' } }],
    ['a nonce', { nonce: 'n' }],
    ['a wrong aud', { aud: 'other' }],
    ['a wrong iss', { iss: 'https://evil.example' }],
    ['no jti', { jti: undefined }],
    ['no iat', { iat: undefined }],
    ['neither sub nor sid', { sub: undefined, sid: undefined }],
    ['an expired exp', { exp: Math.floor(Date.now() / 1000) - 600 }],
  ])('refuses %s', async (_name, extra) => {
    const token = await signJwt(claims(extra), { key })
    await expect(validateLogoutToken(provider.core(), token)).rejects.toMatchObject({
      code: 'LOGOUT_TOKEN_INVALID',
    })
  })

  it('refuses alg none, an HMAC alg, a wrong typ, a foreign key and garbage', async () => {
    const core = provider.core()
    await expect(validateLogoutToken(core, unsignedJwt(claims()))).rejects.toMatchObject({
      code: 'LOGOUT_TOKEN_INVALID',
    })
    const { SignJWT } = await import('jose')
    const hs = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('x'.repeat(32)))
    await expect(validateLogoutToken(core, hs)).rejects.toMatchObject({
      code: 'LOGOUT_TOKEN_INVALID',
    })
    const wrongTyp = await signJwt(claims(), { key, header: { typ: 'at+jwt' } })
    await expect(validateLogoutToken(core, wrongTyp)).rejects.toMatchObject({
      code: 'LOGOUT_TOKEN_INVALID',
    })
    const foreign = await signJwt(claims(), { key: await testKey('k1') })
    await expect(validateLogoutToken(core, foreign)).rejects.toMatchObject({
      code: 'LOGOUT_TOKEN_INVALID',
    })
    for (const garbage of [undefined, 42, '', 'a.b', 'a.b.c']) {
      await expect(validateLogoutToken(core, garbage)).rejects.toMatchObject({
        code: 'LOGOUT_TOKEN_INVALID',
      })
    }
  })
})
