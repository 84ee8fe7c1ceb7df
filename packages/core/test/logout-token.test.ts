import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BACKCHANNEL_LOGOUT_EVENT,
  DEFAULT_LOGOUT_TOKEN_MAX_AGE_SEC,
  MemoryStore,
  type Store,
  StoreError,
  validateLogoutToken,
} from '../src/index.ts'
import { signJwt, type TestKey, testKey, unsignedJwt } from './helpers/keys.ts'
import { type StaticProvider, startStaticProvider } from './helpers/provider.ts'
import { json } from './helpers/tiny-server.ts'

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
    ['an empty sub with no sid', { sub: '', sid: undefined }],
    ['an empty sid with no sub', { sub: undefined, sid: '' }],
    ['an empty sid beside a sub', { sid: '' }],
    ['a sub that is no string', { sub: 42 }],
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

  it('refuses a token issued longer ago than maxTokenAgeSec, and a bad option', async () => {
    const now = Math.floor(Date.now() / 1000)
    const core = provider.core()
    const old = await signJwt(claims({ iat: now - DEFAULT_LOGOUT_TOKEN_MAX_AGE_SEC - 120 }), {
      key,
    })
    await expect(validateLogoutToken(core, old)).rejects.toMatchObject({
      code: 'LOGOUT_TOKEN_INVALID',
      message: expect.stringContaining('too old'),
    })
    const recent = await signJwt(claims({ iat: now - 200 }), { key })
    await expect(validateLogoutToken(core, recent)).resolves.toMatchObject({ sub: 'user-1' })
    await expect(validateLogoutToken(core, recent, { maxTokenAgeSec: 60 })).rejects.toMatchObject({
      code: 'LOGOUT_TOKEN_INVALID',
    })
    await expect(validateLogoutToken(core, recent, { maxTokenAgeSec: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('passes a jwks_uri outage (5xx, 429) on with its own code (the provider retries), not as a refusal', async () => {
    const token = await signJwt(claims(), { key })
    const core = provider.core({ retry: { maxRetries: 0 } }) // no key set loaded yet
    try {
      for (const status of [503, 429]) {
        provider.server.route('/jwks', (_req, res) => json(res, status, { error: 'down' }))
        const failure = await validateLogoutToken(core, token).catch((e: unknown) => e)
        expect(failure).toMatchObject({ code: 'JWKS_INVALID', cause: { status } })
      }
    } finally {
      provider.server.route('/jwks', (_req, res) =>
        json(res, 200, { keys: provider.keys.map((k) => k.publicJwk) }),
      )
    }
    // The provider's retry, once the jwks_uri answers again, is accepted.
    await expect(validateLogoutToken(core, token)).resolves.toMatchObject({ sub: 'user-1' })
  })

  describe('with a replay store', () => {
    it('accepts a token once and refuses it again; another jti passes', async () => {
      const replayStore = new MemoryStore()
      const core = provider.core()
      const token = await signJwt(claims(), { key })
      await expect(validateLogoutToken(core, token, { replayStore })).resolves.toMatchObject({
        sid: 'session-1',
      })
      await expect(validateLogoutToken(core, token, { replayStore })).rejects.toMatchObject({
        code: 'LOGOUT_TOKEN_REPLAYED',
      })
      const other = await signJwt(claims(), { key })
      await expect(validateLogoutToken(core, other, { replayStore })).resolves.toBeDefined()
      // Without the store there is no memory: the same token passes again.
      await expect(validateLogoutToken(core, token)).resolves.toBeDefined()
    })

    it('lets exactly one of many simultaneous deliveries through', async () => {
      const replayStore = new MemoryStore()
      const core = provider.core()
      const token = await signJwt(claims(), { key })
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => validateLogoutToken(core, token, { replayStore })),
      )
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results.filter((r) => r.status === 'rejected'))
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'LOGOUT_TOKEN_REPLAYED' })
    })

    it('keeps a jti only as long as the token could pass the age check', async () => {
      const sets: { key: string; ttlSec: number | undefined }[] = []
      const inner = new MemoryStore()
      const replayStore: Store = {
        get: (k) => inner.get(k),
        delete: (k) => inner.delete(k),
        set: async (k, v, o) => {
          sets.push({ key: k, ttlSec: o?.ttlSec })
          await inner.set(k, v, o)
        },
      }
      const iat = Math.floor(Date.now() / 1000) - 100
      const token = await signJwt(claims({ iat, jti: 'jti-ttl' }), { key })
      await validateLogoutToken(provider.core(), token, { replayStore, maxTokenAgeSec: 300 })
      expect(sets).toHaveLength(1)
      expect(sets[0]!.key).toContain('jti-ttl')
      expect(sets[0]!.key).toContain(provider.metadata.issuer)
      // iat + 300 s + tolerance - now, give or take a second of test time
      expect(sets[0]!.ttlSec).toBeGreaterThan(200)
      expect(sets[0]!.ttlSec).toBeLessThanOrEqual(
        200 + provider.core().options.clockToleranceSec + 2,
      )
    })

    it('does not record a token that fails validation', async () => {
      const replayStore = new MemoryStore()
      const core = provider.core()
      const bad = await signJwt(claims({ jti: 'jti-bad', nonce: 'n' }), { key })
      await expect(validateLogoutToken(core, bad, { replayStore })).rejects.toMatchObject({
        code: 'LOGOUT_TOKEN_INVALID',
      })
      const good = await signJwt(claims({ jti: 'jti-bad' }), { key })
      await expect(validateLogoutToken(core, good, { replayStore })).resolves.toBeDefined()
    })

    it('passes a failing store on as STORE_ERROR (the provider retries), not as a refusal', async () => {
      const replayStore: Store = {
        get: async () => {
          throw new StoreError('backend down')
        },
        set: async () => {},
        delete: async () => {},
      }
      const token = await signJwt(claims(), { key })
      await expect(
        validateLogoutToken(provider.core(), token, { replayStore }),
      ).rejects.toMatchObject({ code: 'STORE_ERROR' })
    })
  })
})
