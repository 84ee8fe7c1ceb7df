/**
 * DPoP (RFC 9449) against node-oidc-provider, which here demands a server nonce in every proof
 * (§8, §9): code flow with `dpop_jkt`, userinfo, refresh and client credentials.
 */
import { fixedKeyPairs } from '@openrp/testkit'
import { isOpenRpError } from '@openrp/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type CertifiedOp, INTEROP_USER, startCertifiedOp } from '../src/index.ts'
import { clientOf, login, OFFLINE } from './helpers.ts'

let op: CertifiedOp
beforeAll(async () => {
  op = await startCertifiedOp({ generateKeyPair: fixedKeyPairs() })
})
afterAll(() => op?.close())
beforeEach(() => op.clearRequests())

describe('DPoP against node-oidc-provider (server nonces required)', () => {
  it('binds the code flow tokens, calls userinfo and refreshes with proofs', async () => {
    const client = await clientOf(op, 'dpop', { dpop: true })
    const { url } = await client.createAuthorizationRequest()
    expect(url.searchParams.get('dpop_jkt')).toMatch(/^[\w-]{43}$/)
    const { tokens } = await login(client, OFFLINE)
    expect(tokens.tokenType).toBe('DPoP')
    // The OP asked for its nonce first (400 use_dpop_nonce), then accepted the retried proof.
    const token = op.requests().filter((r) => r.path === '/token')
    expect(token.map((r) => r.status)).toEqual([400, 200])

    const user = await client.userinfo(tokens)
    expect(user.sub).toBe(INTEROP_USER.sub)

    const refreshed = await client.refresh(tokens)
    expect(refreshed.tokenType).toBe('DPoP')
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken)
    expect((await client.userinfo(refreshed)).sub).toBe(INTEROP_USER.sub)
  })

  it("calls a protected resource with proofs that carry the resource server's nonce", async () => {
    const client = await clientOf(op, 'dpop', { dpop: true })
    const { tokens } = await login(client, { scope: 'openid profile' })
    op.clearRequests()
    const response = await client.fetchProtectedResource(`${op.issuer}/me`, tokens)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ name: INTEROP_USER.claims.name })
    // The OP's nonce, learnt at its token endpoint (same origin), is in the first proof already.
    expect(op.requests().map((r) => r.status)).toEqual([200])
  })

  it('gets a DPoP-bound client-credentials token', async () => {
    const client = await clientOf(op, 'dpop', { dpop: true })
    const tokens = await client.clientCredentials({ scope: 'api:read' })
    expect(tokens.tokenType).toBe('DPoP')
    const introspected = await client.introspect(tokens)
    expect(introspected).toMatchObject({ active: true, client_id: 'dpop' })
    expect((introspected.cnf as { jkt?: string } | undefined)?.jkt).toMatch(/^[\w-]{43}$/)
  })

  it('is refused a bearer token by a client registered for DPoP (dpop_bound_access_tokens)', async () => {
    const client = await clientOf(op, 'dpop')
    const refused = await client.clientCredentials({ scope: 'api:read' }).catch((e) => e)
    // The OP names it invalid_grant (RFC 9449 does not fix the error for a missing proof).
    expect(isOpenRpError(refused, 'INVALID_GRANT')).toBe(true)
    expect(refused.status).toBe(400)
  })

  it('refuses a refresh from another key than the one the refresh token is bound to', async () => {
    const client = await clientOf(op, 'dpop', { dpop: true })
    const { tokens } = await login(client, OFFLINE)
    const other = await clientOf(op, 'dpop', { dpop: true })
    const refused = await other.refresh(tokens).catch((e) => e)
    expect(isOpenRpError(refused, 'DPOP_KEY_MISMATCH')).toBe(true)
  })
})
