import { completeLogin, DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import {
  createAuthorizationRequest,
  createPublicClientCore,
  discoverMetadata,
  handleAuthorizationResponse,
  dpopThumbprint,
  InProcessLock,
  isOpenRpError,
  MemoryStore,
  refresh,
  TokenManager,
  TokenSet,
  withDpop,
} from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const alice = DEMO_USERS[0]!

async function dpopLogin(dpop: boolean | CryptoKeyPair = true) {
  const client = await h.client({
    clientId: 'spa',
    redirectUri: SPA_REDIRECT,
    scope: 'openid offline_access api:read',
    dpop,
  })
  const { params, transaction, requestUrl } = await login(client)
  return {
    client,
    requestUrl,
    tokens: await client.handleAuthorizationResponse(params, transaction),
  }
}

describe('DPoP', () => {
  it('withDpop binds the tokens of a public client core made without the dpop option', async () => {
    const options = { clientId: 'spa', redirectUri: SPA_REDIRECT, scope: 'openid offline_access' }
    const metadata = await discoverMetadata(h.server.issuer)
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])
    const core = withDpop(createPublicClientCore(metadata, options), keys)
    const { url, transaction } = await createAuthorizationRequest(core, { prompt: 'consent' })
    expect(url.searchParams.get('dpop_jkt')).toEqual(expect.any(String))
    const { params } = await completeLogin(url, { username: 'alice', password: 'wonderland' })
    const tokens = await handleAuthorizationResponse(core, params, transaction)
    expect(tokens.tokenType).toBe('DPoP')
    expect((await refresh(core, tokens)).tokenType).toBe('DPoP')
  })

  it('withDpop refuses a key pair that cannot sign; createPublicClientCore refuses dpop', async () => {
    const options = { clientId: 'spa', redirectUri: SPA_REDIRECT }
    const metadata = await discoverMetadata(h.server.issuer)
    const core = createPublicClientCore(metadata, options)
    const codeOf = (run: () => unknown) => {
      try {
        run()
      } catch (error) {
        return isOpenRpError(error) ? error.code : String(error)
      }
      return undefined
    }
    const aes = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ])
    const notAPair = { privateKey: aes, publicKey: aes } as CryptoKeyPair
    expect(codeOf(() => withDpop(core, notAPair))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => createPublicClientCore(metadata, { ...options, dpop: true }))).toBe(
      'INVALID_ARGUMENT',
    )
  })

  it('binds tokens, sends dpop_jkt, and uses proofs for userinfo, resources and refresh', async () => {
    const { client, tokens, requestUrl } = await dpopLogin()
    expect(requestUrl.searchParams.get('dpop_jkt')).toEqual(expect.any(String))
    expect(tokens.tokenType).toBe('DPoP')
    expect(await client.userinfo(tokens)).toMatchObject({ sub: alice.sub })
    const me = await client.fetchProtectedResource(`${h.server.issuer}/api/me`, tokens)
    expect(await me.json()).toMatchObject({ sub: alice.sub, token_type: 'DPoP' })
    const fresh = await client.refresh(tokens)
    expect(fresh.tokenType).toBe('DPoP')
  })

  it('sends a DPoP proof with a pushed authorization request', async () => {
    const client = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      dpop: true,
      par: true,
    })
    const { params, transaction, requestUrl } = await login(client)
    expect(requestUrl.searchParams.get('request_uri')).toEqual(expect.any(String))
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.tokenType).toBe('DPoP')
  })

  it('accepts a caller-provided key pair', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])
    const { tokens } = await dpopLogin(keys)
    expect(tokens.tokenType).toBe('DPoP')
  })

  it('a DPoP-bound token is useless as a Bearer token', async () => {
    const { tokens } = await dpopLogin()
    const plain = await h.client({ clientId: 'spa' })
    await expect(
      plain.fetchProtectedResource(`${h.server.issuer}/api/me`, tokens.accessToken),
    ).rejects.toMatchObject({
      status: 401,
    })
  })

  it('retries exactly once when a nonce is demanded on every request', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT, dpop: true })
    const { params, transaction } = await login(client)
    h.server.control.setFaults({ dpop: { nonceEveryRequest: true } })
    h.server.control.clearRequests()
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.tokenType).toBe('DPoP')
    expect(h.server.control.requests({ endpoint: 'token' }).map((r) => r.status)).toEqual([
      400, 200,
    ])
    // the 200 carried the next nonce, so userinfo needs no retry
    await client.userinfo(tokens)
    expect(h.server.control.requests({ endpoint: 'userinfo' }).map((r) => r.status)).toEqual([200])
  })

  it('retries a resource request once on a use_dpop_nonce challenge', async () => {
    const { client, tokens } = await dpopLogin()
    h.server.control.setFaults({ dpop: { nonceEveryRequest: true } })
    h.server.control.clearRequests()
    const me = await client.fetchProtectedResource(`${h.server.issuer}/api/me`, tokens)
    expect(me.status).toBe(200)
    expect(h.server.control.requests({ endpoint: 'api' }).map((r) => r.status)).toEqual([401, 200])
  })

  it('uses a DPoP-Nonce sent on a 200 for the next request', async () => {
    const client = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      scope: 'openid offline_access',
      dpop: true,
    })
    const { params, transaction } = await login(client)
    h.server.control.setFaults({ dpop: { rotateNonce: true, nonceEveryRequest: true } })
    h.server.control.clearRequests()
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    // the 200 carried a fresh nonce: the refresh needs no nonce retry
    await client.refresh(tokens)
    expect(h.server.control.requests({ endpoint: 'token' }).map((r) => r.status)).toEqual([
      400, 200, 200,
    ])
  })

  it('refuses a token response that dropped the DPoP binding', async () => {
    const client = await h.client({ clientId: 'm2m', clientSecret: 'm2m-secret', dpop: true })
    await expect(client.clientCredentials()).resolves.toMatchObject({ tokenType: 'DPoP' })
    h.server.control.setFaults({ tokenResponse: { dropDpopBinding: true } })
    await expect(client.clientCredentials()).rejects.toMatchObject({ code: 'DPOP_BINDING_MISSING' })
  })

  it('records the key a set is bound to; another key refuses it before sending anything', async () => {
    const { client, tokens } = await dpopLogin()
    expect(tokens.dpopJkt).toBe(await dpopThumbprint(client.core))
    // Kept through the store's JSON form and a refresh.
    const restored = TokenSet.fromJSON(JSON.parse(JSON.stringify(tokens.toJSON())))
    expect(restored.dpopJkt).toBe(tokens.dpopJkt)
    const fresh = await client.refresh(restored)
    expect(fresh.dpopJkt).toBe(tokens.dpopJkt)

    // A restarted process with a fresh `dpop: true` key, and a client without DPoP.
    const restarted = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT, dpop: true })
    const plain = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    h.server.control.clearRequests()
    for (const other of [restarted, plain]) {
      await expect(other.refresh(fresh)).rejects.toMatchObject({ code: 'DPOP_KEY_MISMATCH' })
      await expect(
        other.fetchProtectedResource(`${h.server.issuer}/api/me`, fresh),
      ).rejects.toMatchObject({ code: 'DPOP_KEY_MISMATCH' })
    }
    expect(h.server.control.requests()).toEqual([])
    // The grant is intact: the right key still refreshes it.
    await expect(client.refresh(fresh)).resolves.toMatchObject({ tokenType: 'DPoP' })
  })

  it('TokenManager keeps the session when another key meets it (no SESSION_EXPIRED, no delete)', async () => {
    const { tokens } = await dpopLogin()
    const store = new MemoryStore()
    const restarted = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT, dpop: true })
    const manager = new TokenManager({ client: restarted, store, key: 'session' })
    manager.on('error', () => {})
    const now = Math.floor(Date.now() / 1000)
    await manager.setTokenSet(new TokenSet({ ...tokens.toJSON(), expiresAt: now - 5 }))
    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'DPOP_KEY_MISMATCH' })
    expect(TokenSet.fromJSON(await store.get('session')).refreshToken).toBe(tokens.refreshToken)
  })

  it('a member with another key backs off alone: the member with the right key still refreshes', async () => {
    // Its DPOP_KEY_MISMATCH says nothing about the provider. It was kept in the failure record
    // shared through the store, and the right member then got it too, without a request.
    const { client, tokens } = await dpopLogin()
    const store = new MemoryStore()
    const lock = new InProcessLock()
    const restarted = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT, dpop: true })
    const wrong = new TokenManager({ client: restarted, store, lock, key: 'session' })
    const right = new TokenManager({ client, store, lock, key: 'session' })
    for (const manager of [wrong, right]) manager.on('error', () => {})
    const now = Math.floor(Date.now() / 1000)
    await wrong.setTokenSet(new TokenSet({ ...tokens.toJSON(), expiresAt: now - 5 }))
    await expect(wrong.getAccessToken()).rejects.toMatchObject({ code: 'DPOP_KEY_MISMATCH' })
    h.server.control.clearRequests()
    const renewed = await right.getAccessToken()
    expect(renewed).not.toBe(tokens.accessToken)
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(1)
  })
})
