/**
 * Errors must not carry tokens, codes, verifiers or secrets in their messages (they end up in
 * logs). Each failing call below involves a known secret; no message in the error chain may
 * contain it.
 */
import { describe, expect, it } from 'vitest'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

function messages(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    parts.push(current.message, String(current))
    current = current.cause
  }
  return parts.join('\n')
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e) => e,
  )
  expect(error).toBeInstanceOf(Error)
  return messages(error)
}

describe('no secrets in error messages', () => {
  it('client secret, refresh token and access token stay out', async () => {
    const secret = 'super-secret-value-123'
    const client = await h.client({ clientId: 'm2m', clientSecret: secret })
    expect(await failure(client.clientCredentials())).not.toContain(secret)
    const spa = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    const refreshToken = 'rt-known-secret-456'
    expect(await failure(spa.refresh(refreshToken))).not.toContain(refreshToken)
    const accessToken = 'at-known-secret-789'
    expect(await failure(spa.userinfo(accessToken))).not.toContain(accessToken)
  })

  it('code, verifier and tokens stay out of front-channel and ID-token failures', async () => {
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    for (const faults of [
      { idToken: { badSignature: true } },
      { idToken: { nonce: 'other' } },
      { authorizationResponse: { state: 'wrong' as const } },
      { http: { token: { body: 'malformed_json' as const } } },
    ]) {
      h.server.control.setFaults(faults)
      const { params, transaction } = await login(client)
      const text = await failure(client.handleAuthorizationResponse(params, transaction))
      expect(text).not.toContain(params.get('code')!)
      expect(text).not.toContain(transaction.codeVerifier!)
      expect(text).not.toContain(transaction.nonce!)
      h.server.control.resetFaults()
    }
  })

  it('a refused token response keeps no token in its cause objects, the rest stays', async () => {
    const client = await h.client({
      clientId: 'spa',
      redirectUri: SPA_REDIRECT,
      scope: 'openid offline_access',
    })
    const { params, transaction } = await login(client)
    h.server.control.setFaults({ tokenResponse: { expiresIn: 'soon', times: 1 } })
    const error = await client.handleAuthorizationResponse(params, transaction).then(
      () => undefined,
      (e) => e,
    )
    expect(error).toMatchObject({ code: 'TOKEN_RESPONSE_INVALID' })
    const body = (error.cause?.cause as { body?: Record<string, unknown> } | undefined)?.body
    expect(body).toMatchObject({ expires_in: 'soon', token_type: 'bearer' })
    for (const name of ['access_token', 'refresh_token', 'id_token'])
      expect(body?.[name], name).toBe('[redacted]')
    expect(JSON.stringify(error.cause.cause)).not.toMatch(/eyJ/)
  })
})
