/**
 * No token, code, PKCE verifier or client secret in any error message or log line. The flows
 * below fail in every way the battery knows; a recording fetch learns every secret that went
 * over the wire (request bodies and token responses), and every error thrown (its cause chain,
 * own properties and the plain objects they hold, such as a parsed response body) and everything
 * written to the console is scanned for them.
 */
import type { Faults, IdTokenFaults } from '@openrp/reference-server'
import { ManualClock } from '@openrp/testkit'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  type Client,
  type ClientOptions,
  discover,
  TokenManager,
  TokenSet,
  validateLogoutToken,
} from '../../src/index.ts'
import { authorize, RecordingStore, SESSION_KEY, useProvider, WEB_REDIRECT } from './harness.ts'

const p = useProvider()
const secrets = new Set<string>(['web-secret', 'm2m-secret'])
const errors: unknown[] = []
const logged: string[] = []

/** A real fetch that remembers every secret it carries. */
const recordingFetch: typeof fetch = async (input, init) => {
  const body = init?.body
  if (typeof body === 'string' || body instanceof URLSearchParams) {
    const form = new URLSearchParams(body)
    for (const name of [
      'code',
      'code_verifier',
      'refresh_token',
      'client_secret',
      'device_code',
      'token',
      'subject_token',
    ])
      for (const value of form.getAll(name)) secrets.add(value)
  }
  const auth = new Headers(init?.headers).get('authorization')
  if (auth) secrets.add(auth.replace(/^\w+\s+/, ''))
  const response = await fetch(input, init)
  const text = await response.clone().text()
  try {
    const json = JSON.parse(text) as Record<string, unknown>
    for (const name of ['access_token', 'refresh_token', 'id_token', 'device_code'])
      if (typeof json[name] === 'string') secrets.add(json[name] as string)
  } catch {
    // not JSON: nothing to learn
  }
  return response
}

const client = (base: Partial<ClientOptions> = {}) =>
  discover(p.server.issuer, {
    clientId: 'web',
    clientSecret: 'web-secret',
    redirectUri: WEB_REDIRECT,
    scope: 'openid profile offline_access',
    fetch: recordingFetch,
    timeoutMs: 1500,
    retry: { maxRetries: 0 },
    ...base,
  })

/** Runs `fn`, keeps what it throws. */
async function collect(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn()
  } catch (error) {
    errors.push(error)
  }
}

/** Logs in and feeds the front-channel secrets (code, id_token, verifier) to the scanner. */
async function front(c: Client, faults?: Faults, responseType: 'code' | 'code id_token' = 'code') {
  const response = await authorize(p, c, { responseType }, faults)
  for (const name of ['code', 'id_token', 'access_token'])
    for (const value of response.params.getAll(name)) secrets.add(value)
  if (response.transaction.codeVerifier) secrets.add(response.transaction.codeVerifier)
  return response
}

beforeAll(() => {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '))
    })
})
afterAll(() => vi.restoreAllMocks())

describe('flows that fail', () => {
  it('code flow with every ID-token fault, front and back channel', async () => {
    const faults: IdTokenFaults[] = [
      { badSignature: true },
      { alg: 'none' },
      { alg: 'HS256' },
      { iss: 'https://op.example.test' },
      { aud: 'x' },
      { nonce: 'x' },
      { expOffset: -600 },
      { iatOffset: 3600 },
      { kid: 'unknown' },
      { atHash: 'wrong' },
      { cHash: 'wrong' },
      { sub: null },
    ]
    const c = await client()
    for (const fault of faults) {
      const back = await front(c, { idToken: { ...fault, only: { channel: 'token' } } })
      await collect(() => c.handleAuthorizationResponse(back.params, back.transaction))
      const hybrid = await front(c, { idToken: fault }, 'code id_token')
      await collect(() => c.handleAuthorizationResponse(hybrid.params, hybrid.transaction))
    }
    // c_hash is only checked on the front channel: a wrong one at the token endpoint is ignored.
    expect(errors.length).toBeGreaterThanOrEqual(faults.length * 2 - 1)
  })

  it('front-channel faults, replays and foreign transactions', async () => {
    const c = await client()
    for (const authorizationResponse of [
      { state: 'wrong' },
      { state: 'missing' },
      { iss: 'wrong' },
      { iss: 'missing' },
    ] as const) {
      const r = await front(c, { authorizationResponse })
      await collect(() => c.handleAuthorizationResponse(r.params, r.transaction))
    }
    p.server.control.resetFaults()
    const ok = await front(c)
    await c.handleAuthorizationResponse(ok.params, ok.transaction)
    await collect(() => c.handleAuthorizationResponse(ok.params, ok.transaction)) // replay
  })

  it('refresh, userinfo, revocation and resource failures', async () => {
    const c = await client()
    const r = await front(c)
    const tokens = await c.handleAuthorizationResponse(r.params, r.transaction)
    p.server.control.setFaults({ idToken: { sub: 'x', only: { grantType: 'refresh_token' } } })
    await collect(() => c.refresh(tokens))
    p.server.control.setFaults({ userinfo: { sub: 'someone-else' } })
    await collect(() => c.userinfo(tokens))
    p.server.control.setFaults({ userinfo: { badSignature: true } })
    await collect(() => c.userinfo(tokens))
    p.server.control.resetFaults()
    await collect(() => c.refresh(tokens)) // reused refresh token: invalid_grant
    await collect(() => c.userinfo(tokens)) // the family is revoked now
    const api = await c.fetchProtectedResource(`${p.server.issuer}/api/me`, tokens).catch((e) => e)
    if (api instanceof Error) errors.push(api)
    const store = new RecordingStore()
    await store.set(SESSION_KEY, tokens.toJSON())
    const manager = new TokenManager({ client: c, store, key: SESSION_KEY })
    manager.on('expired', (e) => errors.push(e))
    manager.on('error', (e) => errors.push(e))
    await collect(() => manager.refresh())
    await collect(() => manager.getAccessToken())
  })

  it('transport faults and bad bodies on the token endpoint', async () => {
    const c = await client()
    // A token response with every token and a bad expires_in: refused after parsing.
    const r = await front(c, { tokenResponse: { expiresIn: 'soon', times: 1 } })
    await collect(() => c.handleAuthorizationResponse(r.params, r.transaction))
    for (const http of [
      { status: 500 },
      { status: 429, retryAfter: '1' },
      { status: 200, body: 'malformed_json' },
      { status: 200, body: 'html' },
      { status: 200, body: 'json_array' },
      { status: 200, body: 'oversized' },
    ] as const) {
      const r = await front(c, { http: { token: { ...http, times: 1 } } })
      await collect(() => c.handleAuthorizationResponse(r.params, r.transaction))
    }
    // A provider that answers too late: TIMEOUT on the client's clock, the answer held meanwhile.
    const clock = new ManualClock(Date.now())
    const slow = await client({ clock })
    const pending = await front(slow)
    const hold = p.server.control.hold({ endpoint: 'token', stage: 'request', times: 1 })
    const late = collect(() =>
      slow.handleAuthorizationResponse(pending.params, pending.transaction),
    )
    await hold.waitUntilHeld()
    await clock.advance(1500)
    await late
    hold.release()
    expect(errors.at(-1)).toMatchObject({ code: 'TIMEOUT' })
  })

  it('client credentials, device flow and logout tokens', async () => {
    const m2m = await client({ clientId: 'm2m', clientSecret: 'm2m-secret' })
    p.server.control.setFaults({ http: { token: { status: 401 } } })
    await collect(() => m2m.clientCredentials({ scope: 'api:read' }))
    p.server.control.resetFaults()
    const bad = await client({ clientId: 'm2m', clientSecret: 'wrong-m2m-secret-value' })
    secrets.add('wrong-m2m-secret-value')
    await collect(() => bad.clientCredentials({ scope: 'api:read' }))

    const tv = await client({ clientId: 'tv', clientSecret: undefined, clientAuth: 'none' })
    p.server.control.setFaults({ device: { expiresIn: 1 } })
    const device = await tv.deviceAuthorization({ scope: 'openid' })
    secrets.add(device.toJSON().deviceCode)
    await collect(() => device.poll())
    p.server.control.denyDevice(device.userCode)

    const c = await client()
    const r = await front(c)
    const tokens = await c.handleAuthorizationResponse(r.params, r.transaction)
    await collect(() => validateLogoutToken(c.core, tokens.idToken)) // an ID token is no logout token
    await collect(async () =>
      TokenSet.fromJSON({ accessToken: 42, refreshToken: tokens.refreshToken }),
    )
  })
})

/**
 * Every string reachable from `value`: an Error's message, stack and own properties (enumerable
 * or not), and whatever plain objects and arrays hold (e.g. the parsed response `body` that
 * oauth4webapi keeps in a cause). Web objects (Response, Headers, CryptoKey...) are not opened.
 */
function strings(value: unknown, out: string[], seen = new Set<unknown>(), depth = 0): string[] {
  if (typeof value === 'string') {
    out.push(value)
    return out
  }
  if (typeof value !== 'object' || value === null || seen.has(value) || depth > 8) return out
  seen.add(value)
  const proto = Object.getPrototypeOf(value)
  if (value instanceof Error) {
    out.push(String(value), value.stack ?? '')
    for (const key of Reflect.ownKeys(value)) {
      const own = Object.getOwnPropertyDescriptor(value, key)
      if (own && 'value' in own) strings(own.value, out, seen, depth + 1)
    }
  } else if (Array.isArray(value) || proto === Object.prototype || proto === null) {
    for (const item of Object.values(value)) strings(item, out, seen, depth + 1)
  }
  return out
}

/** Every secret (8+ chars) found anywhere in the errors (see `strings`) or in `logs`. */
function leaks(found: unknown[], logs: string[]) {
  const long = [...secrets].filter((s) => s.length >= 8)
  const texts: string[] = [...logs]
  for (const error of found) strings(error, texts)
  return texts.flatMap((text) =>
    long
      .filter((secret) => text.includes(secret))
      .map((secret) => ({ secret: `${secret.slice(0, 6)}…`, text: text.slice(0, 200) })),
  )
}

describe('the scan', () => {
  it('no secret appears in any error message, property, cause or log line', () => {
    expect([...secrets].filter((s) => s.length >= 8).length).toBeGreaterThan(50)
    expect(errors.length).toBeGreaterThan(40)
    expect(leaks(errors, logged)).toEqual([])
  })

  it('the scan finds a planted secret (in a cause, a cause object, and in a log line)', () => {
    const secret = [...secrets].find((s) => s.length >= 20)!
    const planted = new Error('outer', { cause: new Error(`inner ${secret}`) })
    expect(leaks([planted], []).length).toBeGreaterThan(0)
    const inBody = new Error('outer', {
      cause: new Error('inner', { cause: { body: { nested: [{ refresh_token: secret }] } } }),
    })
    expect(leaks([inBody], []).length).toBeGreaterThan(0)
    expect(leaks([], [`token=${secret}`])).toHaveLength(1)
  })
})
