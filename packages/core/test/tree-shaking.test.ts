/// <reference types="node" />
/**
 * An SPA that imports only the core, the code flow, refresh and end session must not carry the
 * device flow, token exchange or other grants.
 */
import { describe, expect, it } from 'vitest'
import { bundleForBrowser as bundle } from './helpers/bundle.ts'

const SPA_ENTRY = `
import { createClientCore, createAuthorizationRequest, handleAuthorizationResponse, refresh, endSessionUrl } from './src/index.ts'
export { createClientCore, createAuthorizationRequest, handleAuthorizationResponse, refresh, endSessionUrl }
`

describe('tree shaking', () => {
  it('leaves unused grants out of an SPA bundle', async () => {
    const code = await bundle(SPA_ENTRY)
    expect(code).toContain('authorization_code')
    for (const absent of [
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:token-exchange',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'urn:ietf:params:oauth:grant-type:saml2-bearer',
      'backchannel-logout',
      'verification_uri',
    ]) {
      expect(code, absent).not.toContain(absent)
    }
  })

  it('leaves client authentication methods out of a public client bundle', async () => {
    const code = await bundle(`
import { createPublicClientCore, createAuthorizationRequest, handleAuthorizationResponse, refresh } from './src/index.ts'
export { createPublicClientCore, createAuthorizationRequest, handleAuthorizationResponse, refresh }
`)
    expect(code).toContain('authorization_code')
    // client_secret_basic / private_key_jwt: the choice of method in resolveOptions, too.
    for (const absent of [
      'client-assertion-type',
      'client_assertion',
      'client_secret_basic',
      'private_key_jwt',
    ]) {
      expect(code, absent).not.toContain(absent)
    }
    // The same imports with createClientCore do carry them: the check above can fail.
    expect(await bundle(`export { createClientCore } from './src/index.ts'`)).toContain(
      'client-assertion-type',
    )
  })

  it('leaves jose out of a public code-flow bundle, unless withHybridAndImplicit is used', async () => {
    const entry = (extra: string) => `
import { createPublicClientCore, createAuthorizationRequest, handleAuthorizationResponse, refresh${extra} } from './src/index.ts'
export { createPublicClientCore, createAuthorizationRequest, handleAuthorizationResponse, refresh${extra} }
`
    // jose's own module paths appear in esbuild's unminified output comments.
    expect(await bundle(entry(''))).not.toMatch(/node_modules\/jose\//)
    expect(await bundle(entry(', withHybridAndImplicit'))).toMatch(/node_modules\/jose\//)
  })

  it("leaves jose's error vocabulary out of a bundle that does not verify with jose", async () => {
    const entry = (extra: string) => `
import { createPublicClientCore, createAuthorizationRequest, handleAuthorizationResponse, refresh${extra} } from './src/index.ts'
export { createPublicClientCore, createAuthorizationRequest, handleAuthorizationResponse, refresh${extra} }
`
    // The jose error codes map-error.ts knows, kept only beside the code that verifies with jose.
    expect(await bundle(entry(''))).not.toContain('ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
    expect(await bundle(entry(', withHybridAndImplicit'))).toContain(
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    )
  })

  it('refuses front-channel ID tokens on a public core without withHybridAndImplicit', async () => {
    const { createPublicClientCore, createAuthorizationRequest, withHybridAndImplicit } =
      await import('../src/index.ts')
    const metadata = {
      issuer: 'https://op.example.test',
      authorization_endpoint: 'https://op.example.test/authorize',
      token_endpoint: 'https://op.example.test/token',
      jwks_uri: 'https://op.example.test/jwks',
    }
    const core = createPublicClientCore(metadata, {
      clientId: 'spa',
      redirectUri: 'https://app.example.test/',
    })
    for (const responseType of ['code id_token', 'id_token', 'id_token token'] as const) {
      await expect(createAuthorizationRequest(core, { responseType })).rejects.toMatchObject({
        code: 'UNSUPPORTED',
      })
    }
    const { url } = await createAuthorizationRequest(withHybridAndImplicit(core), {
      responseType: 'code id_token',
    })
    expect(url.searchParams.get('response_type')).toBe('code id_token')
  })

  it('carries no Node built-ins', async () => {
    const code = await bundle(`export * from './src/index.ts'`)
    expect(code).not.toMatch(/from ["']node:/)
    expect(code).not.toMatch(/require\(["']/)
  })
})
