import { DEMO_USERS } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import type { ResponseType } from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()
const alice = DEMO_USERS[0]!
const legacy = () =>
  h.client({ clientId: 'legacy-spa', redirectUri: SPA_REDIRECT, scope: 'openid profile api:read' })

describe('hybrid and implicit response types', () => {
  it.each<ResponseType>(['code id_token', 'code token', 'code id_token token'])(
    '%s: validates the front channel, then redeems the code',
    async (responseType) => {
      const client = await legacy()
      const { url, method, transaction } = await login(client, { responseType })
      expect(method).toBe('fragment')
      const tokens = await client.handleAuthorizationResponse(url, transaction)
      expect(tokens.claims()?.sub).toBe(alice.sub)
      expect(tokens.accessToken).toEqual(expect.any(String))
      expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(1)
    },
  )

  it('id_token (implicit, legacy): returns an ID-token-only set', async () => {
    const client = await legacy()
    const { url, transaction } = await login(client, { responseType: 'id_token' })
    const tokens = await client.handleAuthorizationResponse(url, transaction)
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(tokens.accessToken).toBe('')
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })

  it('id_token token (implicit, legacy): checks at_hash and returns the access token', async () => {
    const client = await legacy()
    const { url, transaction } = await login(client, { responseType: 'id_token token' })
    const tokens = await client.handleAuthorizationResponse(url, transaction)
    expect(tokens.claims()?.sub).toBe(alice.sub)
    expect(tokens.tokenType).toBe('Bearer')
    expect(tokens.expiresAt).toEqual(expect.any(Number))
    const me = await client.fetchProtectedResource(`${h.server.issuer}/api/me`, tokens)
    expect(me.status).toBe(200)
  })

  it('hybrid with form_post', async () => {
    const client = await legacy()
    const { params, method, transaction } = await login(client, {
      responseType: 'code id_token',
      responseMode: 'form_post',
    })
    expect(method).toBe('form_post')
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.claims()?.sub).toBe(alice.sub)
  })

  it.each([
    ['atHash', 'code id_token token', 'ID_TOKEN_AT_HASH_MISMATCH'],
    ['atHash', 'id_token token', 'ID_TOKEN_AT_HASH_MISMATCH'],
    ['cHash', 'code id_token', 'ID_TOKEN_C_HASH_MISMATCH'],
    ['sHash', 'code id_token', 'ID_TOKEN_S_HASH_MISMATCH'],
  ] as const)(
    'refuses a wrong %s in %s without calling the token endpoint',
    async (fault, responseType, code) => {
      const client = await legacy()
      h.server.control.setFaults({
        idToken: { [fault]: 'wrong', only: { channel: 'authorization' } },
      })
      const { url, transaction } = await login(client, { responseType })
      await expect(client.handleAuthorizationResponse(url, transaction)).rejects.toMatchObject({
        code,
      })
      expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
    },
  )

  it.each([
    ['atHash', 'id_token token', 'ID_TOKEN_AT_HASH_MISMATCH'],
    ['cHash', 'code id_token', 'ID_TOKEN_C_HASH_MISMATCH'],
  ] as const)(
    'refuses a missing %s where it is required (%s)',
    async (fault, responseType, code) => {
      const client = await legacy()
      h.server.control.setFaults({ idToken: { [fault]: null, only: { channel: 'authorization' } } })
      const { url, transaction } = await login(client, { responseType })
      await expect(client.handleAuthorizationResponse(url, transaction)).rejects.toMatchObject({
        code,
      })
    },
  )

  it('hybrid: refuses a token-endpoint ID token about another subject', async () => {
    const client = await legacy()
    h.server.control.setFaults({ idToken: { sub: 'someone-else', only: { channel: 'token' } } })
    const { url, transaction } = await login(client, { responseType: 'code id_token' })
    await expect(client.handleAuthorizationResponse(url, transaction)).rejects.toMatchObject({
      code: 'ID_TOKEN_SUB_MISMATCH',
    })
  })

  it('refuses a front-channel ID token with a wrong nonce before redeeming the code', async () => {
    const client = await legacy()
    h.server.control.setFaults({ idToken: { nonce: 'other', only: { channel: 'authorization' } } })
    const { url, transaction } = await login(client, { responseType: 'code id_token' })
    await expect(client.handleAuthorizationResponse(url, transaction)).rejects.toMatchObject({
      code: 'ID_TOKEN_NONCE_MISMATCH',
    })
    expect(h.server.control.requests({ endpoint: 'token' })).toHaveLength(0)
  })
})
