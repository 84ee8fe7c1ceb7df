/**
 * Issue 16: the three hybrid and both implicit response types against node-oidc-provider.
 * The OP advertises `authorization_response_iss_parameter_supported` and, as RFC 9207 §2.4
 * allows, leaves `iss` out of responses that carry an ID token (whose verified `iss` names the
 * issuer); these were refused with ISS_MISSING. A wrong `iss`, and a missing one beside no ID
 * token, are still refused.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { isOpenRpError, type ResponseType } from '@openrp/core'
import { decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CertifiedOp, INTEROP_USER, startCertifiedOp } from '../src/index.ts'
import { authorize, clientOf, login } from './helpers.ts'

let op: CertifiedOp
beforeAll(async () => {
  op = await startCertifiedOp({ generateKeyPair: fixedKeyPairs() })
})
afterAll(() => op?.close())

const WITH_ID_TOKEN: ResponseType[] = [
  'code id_token',
  'code id_token token',
  'id_token',
  'id_token token',
]

describe('issue-16-iss-with-id-token: front-channel ID tokens from node-oidc-provider', () => {
  it('advertises the RFC 9207 iss parameter', async () => {
    const client = await clientOf(op, 'legacy')
    expect(client.metadata.authorization_response_iss_parameter_supported).toBe(true)
  })

  for (const responseType of WITH_ID_TOKEN) {
    it(`accepts "${responseType}" without iss: the ID token's verified iss names the issuer`, async () => {
      const client = await clientOf(op, 'legacy')
      const { tokens, response } = await login(client, { responseType, scope: 'openid profile' })
      expect(response.get('iss')).toBeNull()
      expect(response.get('id_token')).toEqual(expect.any(String))
      expect(tokens.claims()?.sub).toBe(INTEROP_USER.sub)
      expect(tokens.claims()?.iss).toBe(op.issuer)
      expect(decodeProtectedHeader(tokens.idToken!).alg).toBe('ES256')
      if (responseType === 'id_token') {
        // No access token: the OP puts the profile claims in the ID token (OIDC Core §5.4).
        expect(tokens.claims()?.name).toBe(INTEROP_USER.claims.name)
      } else {
        expect(tokens.accessToken).toEqual(expect.any(String))
        expect((await client.userinfo(tokens)).name).toBe(INTEROP_USER.claims.name)
      }
    })
  }

  it('accepts "code token" with the iss the OP sends beside no ID token', async () => {
    const client = await clientOf(op, 'legacy')
    const { tokens, response } = await login(client, { responseType: 'code token' })
    expect(response.get('iss')).toBe(op.issuer)
    expect(response.get('access_token')).toEqual(expect.any(String))
    expect(tokens.claims()?.sub).toBe(INTEROP_USER.sub)
  })

  it('takes form_post for a hybrid response', async () => {
    const client = await clientOf(op, 'legacy')
    const { tokens, response } = await login(client, {
      responseType: 'code id_token',
      responseMode: 'form_post',
    })
    expect(response.get('iss')).toBeNull()
    expect(tokens.claims()?.sub).toBe(INTEROP_USER.sub)
  })

  it('still refuses an iss parameter that names another issuer beside an ID token (mix-up)', async () => {
    const client = await clientOf(op, 'legacy')
    const { url, transaction } = await authorize(client, { responseType: 'code id_token' })
    const fragment = new URLSearchParams(url.hash.slice(1))
    fragment.set('iss', 'https://attacker.example')
    url.hash = fragment.toString()
    const refused = await client.handleAuthorizationResponse(url, transaction).catch((e) => e)
    expect(isOpenRpError(refused, 'ISS_MISMATCH')).toBe(true)
  })

  it('still refuses a response with no iss and no ID token from this OP', async () => {
    const client = await clientOf(op, 'legacy')
    const { url, transaction } = await authorize(client, { responseType: 'code token' })
    const fragment = new URLSearchParams(url.hash.slice(1))
    fragment.delete('iss')
    url.hash = fragment.toString()
    const refused = await client.handleAuthorizationResponse(url, transaction).catch((e) => e)
    expect(isOpenRpError(refused, 'ISS_MISSING')).toBe(true)
  })
})
