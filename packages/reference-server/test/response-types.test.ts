import { jwtVerify, createRemoteJWKSet, base64url } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { completeLogin, type ReferenceServer, startReferenceServer } from '../src/index.ts'
import { fixedKeyPairs } from '@openrp/testkit'
import { authorizeUrl, claims } from './helpers.ts'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer({ port: 0, generateKeyPair: fixedKeyPairs() })
})
afterAll(() => server.close())

async function halfHash(value: string) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)))
  return base64url.encode(d.slice(0, 16))
}

const legacy = (params: Record<string, string | undefined>) =>
  authorizeUrl(server.issuer, { client_id: 'legacy-spa', nonce: 'n-legacy', ...params })

describe('hybrid and implicit response types', () => {
  for (const responseType of [
    'code id_token',
    'code token',
    'code id_token token',
    'id_token',
    'id_token token',
  ]) {
    it(`${responseType}: fragment by default, with the right hashes`, async () => {
      const { url } = await legacy({ response_type: responseType })
      const result = await completeLogin(url)
      expect(result.method).toBe('fragment')
      const p = result.params
      expect(p.get('state')).toBe('st-123')
      expect(p.get('iss')).toBe(server.issuer)
      const parts = responseType.split(' ')
      expect(p.has('code')).toBe(parts.includes('code'))
      expect(p.has('access_token')).toBe(parts.includes('token'))
      expect(p.has('id_token')).toBe(parts.includes('id_token'))
      if (parts.includes('token')) expect(p.get('token_type')).toBe('Bearer')
      if (parts.includes('id_token')) {
        const { payload } = await jwtVerify(
          p.get('id_token')!,
          createRemoteJWKSet(new URL(`${server.issuer}/jwks`)),
          {
            issuer: server.issuer,
            audience: 'legacy-spa',
          },
        )
        expect(payload.nonce).toBe('n-legacy')
        if (parts.includes('code')) expect(payload.c_hash).toBe(await halfHash(p.get('code')!))
        if (parts.includes('token'))
          expect(payload.at_hash).toBe(await halfHash(p.get('access_token')!))
        expect(payload.s_hash).toBe(await halfHash('st-123'))
      }
    })
  }

  it('form_post delivers an auto-submitting form', async () => {
    const { url } = await legacy({ response_type: 'code id_token', response_mode: 'form_post' })
    const result = await completeLogin(url)
    expect(result.method).toBe('form_post')
    expect(result.url.href).toBe('http://127.0.0.1:4001/callback.html')
    expect(result.params.get('code')).toBeTruthy()
    expect(claims(result.params.get('id_token')!).nonce).toBe('n-legacy')
  })

  it('form_post and fragment also work for response_type=code', async () => {
    for (const mode of ['form_post', 'fragment'] as const) {
      const { url } = await authorizeUrl(server.issuer, { response_mode: mode })
      const result = await completeLogin(url)
      expect(result.method).toBe(mode)
      expect(result.params.get('code')).toBeTruthy()
    }
  })

  it('refuses: missing nonce, query mode carrying tokens, response types the client may not use', async () => {
    const noNonce = await legacy({ response_type: 'id_token', nonce: undefined })
    const r1 = await completeLogin(noNonce.url)
    expect(r1.params.get('error')).toBe('invalid_request')
    expect(r1.method).toBe('fragment')
    const query = await legacy({ response_type: 'id_token token', response_mode: 'query' })
    expect((await completeLogin(query.url)).params.get('error')).toBe('invalid_request')
    const spa = await authorizeUrl(server.issuer, { response_type: 'id_token', nonce: 'n' })
    expect((await completeLogin(spa.url)).params.get('error')).toBe('unauthorized_client')
    const unknown = await authorizeUrl(server.issuer, { response_type: 'token' })
    expect((await completeLogin(unknown.url)).params.get('error')).toBe('unsupported_response_type')
  })

  it('a missing response_type is invalid_request, not unsupported_response_type (RFC 6749 §4.1.2.1)', async () => {
    const { url } = await authorizeUrl(server.issuer, { response_type: undefined })
    const result = await completeLogin(url)
    expect(result.params.get('error')).toBe('invalid_request')
    expect(result.params.get('state')).toBe('st-123')
  })
})
