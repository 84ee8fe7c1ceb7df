/**
 * The replay memory of one-time identifiers (client assertions, JWT bearer assertions, DPoP
 * proofs, SAML IDs) was swept by the wall-clock sweeper only, which does nothing when a clock is
 * injected: with one, seen identifiers were never dropped. They are now forgotten by
 * `rememberJti` on the server's clock, once expired for longer than the sweep grace, and a
 * replay within that time is still refused.
 */
import { fixedKeyPairs, ManualClock } from '@openrp/testkit'
import { expect, it } from 'vitest'
import { createServerState, rememberJti } from '../src/state.ts'
import { SWEEP_GRACE } from '../src/sweep.ts'

it('forgets seen identifiers by the injected clock, and refuses replays until then', async () => {
  const clock = new ManualClock(Date.UTC(2030, 5, 1))
  const state = await createServerState({
    issuer: 'http://127.0.0.1:1',
    clock,
    generateKeyPair: fixedKeyPairs(),
  })
  const now = () => Math.floor(clock.now() / 1000)
  expect(rememberJti(state, 'a', now() + 60)).toBe(true)
  expect(rememberJti(state, 'a', now() + 60)).toBe(false)

  // Expired, but within the grace: still remembered, a replay is still refused.
  await clock.advance((60 + SWEEP_GRACE) * 1000)
  expect(rememberJti(state, 'b', now() + 60)).toBe(true)
  expect(rememberJti(state, 'a', now() + 60)).toBe(false)

  // Past the grace, by the injected clock: forgotten when the next identifier is remembered.
  await clock.advance(60_000)
  expect(rememberJti(state, 'c', now() + 60)).toBe(true)
  expect([...state.seenJti.keys()]).toEqual(['b', 'c'])

  // The server's clock offset counts as well.
  state.clockOffset = 3600
  expect(rememberJti(state, 'd', now() + 3600 + 60)).toBe(true)
  expect([...state.seenJti.keys()]).toEqual(['d'])
})
