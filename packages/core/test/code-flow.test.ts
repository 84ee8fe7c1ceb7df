import { describe, expect, it } from 'vitest'
import { DEMO_USERS } from '@openrp/reference-server'
import { TokenSet } from '../src/index.ts'
import { withReplacedGlobal } from './helpers/replaced-global.ts'
import { login, SPA_REDIRECT, useReferenceServer, WEB_REDIRECT } from './helpers/reference.ts'

const h = useReferenceServer()
const alice = DEMO_USERS[0]!

describe('authorization code flow against the reference server', () => {
  it('logs a public SPA client in with PKCE and validates the ID token', async () => {
    const client = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      scope: 'openid profile offline_access',
    })
    const { params, transaction, requestUrl } = await login(client)
    expect(requestUrl.searchParams.get('code_challenge_method')).toBe('S256')
    expect(JSON.parse(JSON.stringify(transaction))).toEqual(transaction)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens).toBeInstanceOf(TokenSet)
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.refreshToken).toEqual(expect.any(String))
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(tokens.claims()?.nonce).toBe(transaction.nonce)
    expect(tokens.isExpired()).toBe(false)
  })

  it('accepts the callback URL itself (query response mode)', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    const { url, transaction } = await login(client)
    const tokens = await client.handleAuthorizationResponse(url.href, transaction)
    expect(tokens.claims()?.sub).toBe(alice.sub)
  })

  it('uses client_secret_basic for a confidential client, also with PKCE', async () => {
    const client = await h.client({
      clientId: 'web',
      clientSecret: 'web-secret',
      redirectUri: WEB_REDIRECT,
    })
    const { params, transaction, requestUrl } = await login(client)
    expect(requestUrl.searchParams.get('code_challenge')).toEqual(expect.any(String))
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.claims()?.sub).toBe(alice.sub)
  })

  it('sends prompt, max_age, login_hint, acr_values, ui_locales and checks auth_time', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    const { params, transaction, requestUrl } = await login(client, {
      prompt: 'login',
      maxAge: 300,
      loginHint: 'alice',
      uiLocales: 'en',
      extraParams: { claims_locales: 'en' },
    })
    expect(requestUrl.searchParams.get('prompt')).toBe('login')
    expect(requestUrl.searchParams.get('max_age')).toBe('300')
    expect(transaction.maxAge).toBe(300)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.claims()?.auth_time).toEqual(expect.any(Number))
  })

  it('pushes the request with PAR when asked', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT, par: true })
    const { params, transaction, requestUrl } = await login(client)
    expect(requestUrl.searchParams.get('request_uri')).toEqual(expect.any(String))
    expect(requestUrl.searchParams.get('code_challenge')).toBeNull()
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(h.server.control.requests({ endpoint: 'par' })).toHaveLength(1)
  })

  it('takes the callback as a Request (form_post POST, or GET)', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    const posted = await login(client, { responseMode: 'form_post' })
    const post = new Request(SPA_REDIRECT, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: posted.params.toString(),
    })
    await expect(
      client.handleAuthorizationResponse(post, posted.transaction),
    ).resolves.toBeInstanceOf(TokenSet)
    const got = await login(client)
    const get = new Request(got.url)
    await expect(client.handleAuthorizationResponse(get, got.transaction)).resolves.toBeInstanceOf(
      TokenSet,
    )
    const json = new Request(SPA_REDIRECT, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    })
    await expect(client.handleAuthorizationResponse(json, got.transaction)).rejects.toMatchObject({
      code: 'AUTHORIZATION_RESPONSE_INVALID',
    })
  })

  it('takes a callback Request made before the global Request was replaced (as Hono does)', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    const got = await login(client)
    const request = new Request(got.url)
    await expect(
      withReplacedGlobal('Request', () =>
        client.handleAuthorizationResponse(request, got.transaction),
      ),
    ).resolves.toBeInstanceOf(TokenSet)
  })

  it('works with form_post', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    const { params, transaction, method } = await login(client, { responseMode: 'form_post' })
    expect(method).toBe('form_post')
    const tokens = await client.handleAuthorizationResponse(params.toString(), transaction)
    expect(tokens.claims()?.sub).toBe(alice.sub)
  })

  it('a TokenSet restored from JSON keeps its claims, and refresh checks sub continuity with them', async () => {
    const client = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      scope: 'openid profile offline_access',
    })
    const { params, transaction } = await login(client)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    const restored = TokenSet.fromJSON(JSON.parse(JSON.stringify(tokens)))
    expect(restored.claims()).toEqual(tokens.claims())
    const fresh = await client.refresh(restored)
    expect(fresh.claims()?.sub).toBe(alice.sub)
    h.server.control.setFaults({
      idToken: { sub: 'someone-else', only: { grantType: 'refresh_token' } },
    })
    await expect(client.refresh(fresh)).rejects.toMatchObject({ code: 'ID_TOKEN_SUB_MISMATCH' })
  })
})
