import { ManualClock, fixedKeyPairs } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ClientConfig,
  DEMO_CLIENTS,
  type ReferenceServer,
  startReferenceServer,
} from '../src/index.ts'
import { passwordTokens, tokenRequest, userinfo } from './helpers.ts'

/** legacy-password (password + refresh_token grants) with extra client metadata. */
const clientsWith = (extra: Partial<ClientConfig>): ClientConfig[] =>
  DEMO_CLIENTS.map((c) => (c.client_id === 'legacy-password' ? { ...c, ...extra } : c))

function helpers(server: () => ReferenceServer) {
  return {
    login: async (): Promise<{ refresh_token: string; access_token: string }> =>
      (await passwordTokens(server().issuer, 'openid offline_access')).body as never,
    refresh: (token: string) =>
      tokenRequest(server().issuer, {
        grant_type: 'refresh_token',
        client_id: 'legacy-password',
        client_secret: 'password-secret',
        refresh_token: token,
      }),
  }
}

describe('refreshTokenReuseInterval (server-wide, 10 s)', () => {
  const clock = new ManualClock()
  let server: ReferenceServer
  beforeAll(async () => {
    server = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      clock,
      refreshTokenReuseInterval: 10,
    })
  })
  afterAll(() => server.close())
  const { login, refresh } = helpers(() => server)

  it('a replay within the interval gets a fresh set of the same family; the set before is superseded', async () => {
    const first = await login()
    const second = await refresh(first.refresh_token)
    expect(second.status).toBe(200)
    await clock.advance(5_000)
    const replay = await refresh(first.refresh_token)
    expect(replay.status).toBe(200)
    expect(replay.body.refresh_token).not.toBe(second.body.refresh_token)
    expect(replay.body.access_token).not.toBe(second.body.access_token)
    // The family lives on through the replay's token.
    const third = await refresh(replay.body.refresh_token)
    expect(third.status).toBe(200)
    expect((await userinfo(server.issuer, third.body.access_token)).status).toBe(200)
    // Now the replay's successor was used: another replay of the first token is a reuse.
    const reuse = await refresh(first.refresh_token)
    expect(reuse.body.error).toBe('invalid_grant')
    expect((await refresh(third.body.refresh_token)).body.error).toBe('invalid_grant')
  })

  it('after the interval, reuse revokes the family as without one', async () => {
    const first = await login()
    const second = await refresh(first.refresh_token)
    await clock.advance(10_001)
    const late = await refresh(first.refresh_token)
    expect(late.status).toBe(400)
    expect(late.body.error).toBe('invalid_grant')
    expect((await refresh(second.body.refresh_token)).body.error).toBe('invalid_grant')
    expect((await userinfo(server.issuer, second.body.access_token)).status).toBe(401)
  })

  it('the interval counts from the rotation, not from the last replay', async () => {
    const first = await login()
    await refresh(first.refresh_token)
    await clock.advance(6_000)
    expect((await refresh(first.refresh_token)).status).toBe(200)
    await clock.advance(5_000) // 11 s after the rotation, 5 s after the replay
    expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant')
  })

  it('within the interval, a replay after the successor was used is still a reuse', async () => {
    const first = await login()
    const second = await refresh(first.refresh_token)
    const third = await refresh(second.body.refresh_token)
    expect(third.status).toBe(200)
    await clock.advance(1_000)
    expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant')
    expect((await refresh(third.body.refresh_token)).body.error).toBe('invalid_grant')
  })
})

describe('refresh_token_reuse_interval (per client)', () => {
  it('a client value turns the interval on where the server has none', async () => {
    const server = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      clients: clientsWith({ refresh_token_reuse_interval: 30 }),
    })
    try {
      const { login, refresh } = helpers(() => server)
      const first = await login()
      await refresh(first.refresh_token)
      expect((await refresh(first.refresh_token)).status).toBe(200)
    } finally {
      await server.close()
    }
  })

  it('a client value of 0 turns it off where the server has one', async () => {
    const server = await startReferenceServer({
      port: 0,
      generateKeyPair: fixedKeyPairs(),
      refreshTokenReuseInterval: 30,
      clients: clientsWith({ refresh_token_reuse_interval: 0 }),
    })
    try {
      const { login, refresh } = helpers(() => server)
      const first = await login()
      const second = await refresh(first.refresh_token)
      expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant')
      expect((await refresh(second.body.refresh_token)).body.error).toBe('invalid_grant')
    } finally {
      await server.close()
    }
  })
})
