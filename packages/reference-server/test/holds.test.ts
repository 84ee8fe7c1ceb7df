import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { passwordTokens, tokenRequest } from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterEach(() => server.control.resetFaults())
afterAll(() => server.close())

const refresh = (token: string) =>
  tokenRequest(server.issuer, {
    grant_type: 'refresh_token',
    client_id: 'legacy-password',
    client_secret: 'password-secret',
    refresh_token: token,
  })

const firstRefreshToken = async (): Promise<string> =>
  (await passwordTokens(server.issuer, 'openid offline_access')).body.refresh_token

/** Settles to 'pending' when `promise` has not settled after the server had time to answer. */
async function stateOf(promise: Promise<unknown>): Promise<'pending' | 'settled'> {
  const probe = await passwordTokens(server.issuer, 'openid') // a full round trip on the server
  expect(probe.status).toBe(200)
  return Promise.race([promise.then(() => 'settled' as const), Promise.resolve('pending' as const)])
}

it('response stage: the provider has rotated the token while its answer is held', async () => {
  const token = await firstRefreshToken()
  const hold = server.control.hold({ endpoint: 'token', grantType: 'refresh_token', times: 1 })
  const first = refresh(token)
  await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
  expect(hold.held).toBe(1)
  expect(await stateOf(first)).toBe('pending')
  // Already processed: the same token again is a reuse.
  const replay = await refresh(token)
  expect(replay.body.error).toBe('invalid_grant')
  hold.release()
  const answer = await first
  expect(answer.status).toBe(200)
  expect(answer.body.refresh_token).toEqual(expect.any(String))
  expect(hold.active).toBe(false)
})

it('request stage: nothing is processed until the request is released', async () => {
  const token = await firstRefreshToken()
  const hold = server.control.hold({
    endpoint: 'token',
    grantType: 'refresh_token',
    stage: 'request',
    times: 1,
  })
  const first = refresh(token)
  await hold.waitUntilHeld(1, { timeoutMs: 10_000 })
  // Not processed yet: a second request (past the hold's one request) rotates the token first.
  const second = await refresh(token)
  expect(second.status).toBe(200)
  hold.release()
  expect((await first).body.error).toBe('invalid_grant')
})

it('holds only the grant type it names, and only `times` requests', async () => {
  const hold = server.control.hold({ endpoint: 'token', grantType: 'refresh_token', times: 1 })
  // Another grant at the same endpoint passes.
  expect((await passwordTokens(server.issuer, 'openid')).status).toBe(200)
  expect(hold.total).toBe(0)
  const a = refresh(await firstRefreshToken())
  await hold.waitUntilHeld()
  // The second refresh is past `times`: it passes while the first waits.
  expect((await refresh(await firstRefreshToken())).status).toBe(200)
  expect(hold.total).toBe(1)
  hold.release()
  expect((await a).status).toBe(200)
})

it('releaseNext lets held requests go one by one, oldest first', async () => {
  const hold = server.control.hold({ endpoint: 'token', grantType: 'refresh_token' })
  const order: string[] = []
  const a = refresh(await firstRefreshToken()).then(() => order.push('a'))
  await hold.waitUntilHeld(1)
  const b = refresh(await firstRefreshToken()).then(() => order.push('b'))
  await hold.waitUntilHeld(2)
  expect(hold.held).toBe(2)
  expect(hold.releaseNext()).toBe(true)
  await a
  expect(order).toEqual(['a'])
  expect(await stateOf(b)).toBe('pending')
  expect(hold.releaseNext()).toBe(true)
  await b
  expect(order).toEqual(['a', 'b'])
  expect(hold.releaseNext()).toBe(false)
  hold.release()
})

it('resetFaults releases what is held; waitUntilHeld with a timeout rejects when nothing came', async () => {
  const hold = server.control.hold({ endpoint: 'token' })
  const pending = passwordTokens(server.issuer, 'openid')
  await hold.waitUntilHeld()
  server.control.resetFaults()
  expect((await pending).status).toBe(200)
  expect(hold.active).toBe(false)
  // An ended hold takes nothing more.
  expect((await passwordTokens(server.issuer, 'openid')).status).toBe(200)
  expect(hold.total).toBe(1)
  const idle = server.control.hold({ endpoint: 'userinfo' })
  await expect(idle.waitUntilHeld(1, { timeoutMs: 20 })).rejects.toThrow(/0 of 1/)
})

it('holds an injected http fault too (the 503 waits like a real answer)', async () => {
  server.control.setFaults({ http: { token: { status: 503, times: 1 } } })
  const hold = server.control.hold({ endpoint: 'token', times: 1 })
  const pending = passwordTokens(server.issuer, 'openid')
  await hold.waitUntilHeld()
  hold.release()
  expect((await pending).status).toBe(503)
})

it('close() releases held requests instead of hanging', async () => {
  const own = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
  const hold = own.control.hold({ endpoint: 'discovery' })
  const pending = fetch(`${own.issuer}/.well-known/openid-configuration`).then(
    (r) => r.status,
    () => 'closed',
  )
  await hold.waitUntilHeld()
  await own.close()
  expect([200, 'closed']).toContain(await pending)
})

it('the control endpoint holds too: hold, waitUntilHeld, holdStatus, releaseNext, release', async () => {
  const own = await startReferenceServer({
    port: 0,
    generateKeyPair: fixedKeyPairs(),
    enableControlEndpoint: true,
  })
  const control = async (body: Record<string, unknown>) =>
    (
      await fetch(`${own.issuer}/__control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json()
  try {
    const { id } = await control({ action: 'hold', hold: { endpoint: 'jwks' } })
    const first = fetch(`${own.issuer}/jwks`)
    expect(await control({ action: 'waitUntilHeld', id })).toMatchObject({ held: 1, total: 1 })
    expect(await control({ action: 'releaseNext', id })).toMatchObject({ released: true })
    expect((await first).status).toBe(200)
    const second = fetch(`${own.issuer}/jwks`)
    expect(await control({ action: 'waitUntilHeld', id, count: 2 })).toMatchObject({ held: 1 })
    expect(await control({ action: 'holdStatus', id })).toMatchObject({ active: true, total: 2 })
    expect(await control({ action: 'release', id })).toMatchObject({ ok: true })
    expect((await second).status).toBe(200)
    expect(await control({ action: 'holdStatus', id })).toMatchObject({ error: 'invalid_request' })
    expect(await control({ action: 'hold', hold: {} })).toMatchObject({ error: 'invalid_request' })
  } finally {
    await own.close()
  }
})
