/**
 * OpenID Foundation RP refresh token plan (`oidcc-client-refreshtoken-test-plan` and the
 * refresh modules next to it): a refreshed ID token must be about the same user, from the same
 * issuer, for this client (OpenID Connect Core §12.2). A refused refresh keeps the stored
 * session as it was but for one thing: the answer's new refresh token (the provider has spent
 * the old one), and the token endpoint is called once (never retried).
 */
import type { IdTokenFaults } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import type { TokenSetJSON } from '../../src/token-set.ts'
import { authorize, refused, SESSION_KEY, session, useProvider } from './harness.ts'

const p = useProvider()

/** Signs in, stores the session, then returns the manager with the ID-token fault armed. */
async function refreshWith(fault: IdTokenFaults) {
  const client = await p.spa()
  const s = session(client)
  await s.callback(await authorize(p, client))
  const before = await s.store.get(SESSION_KEY)
  p.server.control.setFaults({ idToken: { ...fault, only: { grantType: 'refresh_token' } } })
  p.server.control.clearRequests()
  const errors: unknown[] = []
  s.manager.on('error', (e) => errors.push(e))
  return { ...s, before, errors }
}

describe('refreshed ID tokens', () => {
  it.each<[string, string, IdTokenFaults, string]>([
    [
      'oidcc-client-test-refresh-token-invalid-issuer',
      'another iss',
      { iss: 'https://op.example.test' },
      'ID_TOKEN_ISS_MISMATCH',
    ],
    [
      'oidcc-client-test-refresh-token-invalid-sub',
      'another sub',
      { sub: 'someone-else' },
      'ID_TOKEN_SUB_MISMATCH',
    ],
    [
      'oidcc-client-test-refresh-token-invalid-aud',
      'another aud',
      { aud: 'another-client' },
      'ID_TOKEN_AUD_MISMATCH',
    ],
    [
      'oidcc-client-test-refresh-token-invalid-azp',
      'a foreign azp',
      { azp: 'another-client' },
      'ID_TOKEN_AZP_MISMATCH',
    ],
    ['refresh: bad signature', 'a bad signature', { badSignature: true }, 'JWT_SIGNATURE_INVALID'],
    ['refresh: alg none', 'alg none', { alg: 'none' }, 'JWT_ALG_NOT_ALLOWED'],
    ['refresh: expired', 'an expired token', { expOffset: -120 }, 'ID_TOKEN_EXPIRED'],
  ])(
    '%s: refuses %s and keeps the stored session, with the new refresh token',
    async (_id, _name, fault, code) => {
      const s = await refreshWith(fault)
      await refused(s.manager.refresh(), code)
      const before = s.before as TokenSetJSON
      const after = (await s.store.get(SESSION_KEY)) as TokenSetJSON
      // Nothing of the refused answer is used but its refresh token.
      expect({ ...after, refreshToken: undefined }).toEqual({ ...before, refreshToken: undefined })
      expect(after.refreshToken).toEqual(expect.any(String))
      expect(after.refreshToken).not.toBe(before.refreshToken)
      const sessionWrites = s.store.writes.filter((w) => w.key === SESSION_KEY)
      expect(sessionWrites).toHaveLength(2) // the login, then the kept refresh token
      expect(p.hits('token')).toBe(1)
      expect(s.errors).toHaveLength(1)
    },
  )

  it('oidcc-client-test-refresh-token: a good refresh replaces the stored set', async () => {
    const s = await refreshWith({})
    const fresh = await s.manager.refresh()
    expect(fresh.claims()?.sub).toBe(
      (s.before as { idTokenClaims: { sub: string } }).idTokenClaims.sub,
    )
    expect(await s.store.get(SESSION_KEY)).toEqual(fresh.toJSON())
  })
})
