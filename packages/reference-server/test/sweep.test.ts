import { expect, it } from 'vitest'
import { createServerState } from '../src/state.ts'
import { sweepExpired } from '../src/sweep.ts'

it('drops long-expired records and keeps live ones; never sweeps on a moved clock', async () => {
  const s = await createServerState({ issuer: 'http://127.0.0.1:1' })
  const now = s.now()
  const at = (jti: string, expiresAt: number) =>
    s.accessTokens.set(jti, {
      jti,
      clientId: 'spa',
      sub: 'x',
      scope: [],
      expiresAt,
      revoked: false,
    })
  at('old', now - 1000)
  at('live', now + 1000)
  s.clockOffset = 5
  sweepExpired(s)
  expect(s.accessTokens.size).toBe(2)
  s.clockOffset = 0
  sweepExpired(s)
  expect([...s.accessTokens.keys()]).toEqual(['live'])
})
