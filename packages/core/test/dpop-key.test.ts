/**
 * `dpop: true` makes the client generate its own DPoP key pair (RFC 9449) — a P-256 key whose
 * private half is NOT extractable, so script that runs later (an XSS payload, a leaked heap
 * dump) cannot copy it elsewhere. The generated pair is watched as WebCrypto hands it over (the
 * real `crypto.subtle.generateKey` still does the work); the rest is checked against the
 * reference server's DPoP-bound tokens.
 */
import { calculateJwkThumbprint, decodeJwt } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Client } from '../src/index.ts'
import { login, SPA_REDIRECT, useReferenceServer } from './helpers/reference.ts'

const h = useReferenceServer()

/** Records every key pair WebCrypto generates from now on (the real generator runs). */
function watchGeneratedKeys(): CryptoKeyPair[] {
  const generated: CryptoKeyPair[] = []
  const subtle = globalThis.crypto.subtle
  const real = subtle.generateKey.bind(subtle) as (...args: unknown[]) => Promise<unknown>
  vi.spyOn(subtle, 'generateKey').mockImplementation((async (...args: unknown[]) => {
    const result = await real(...args)
    if (typeof result === 'object' && result !== null && 'privateKey' in result)
      generated.push(result as CryptoKeyPair)
    return result
  }) as typeof subtle.generateKey)
  return generated
}

afterEach(() => {
  vi.restoreAllMocks()
})

function dpopClient(): Promise<Client> {
  return h.client({
    clientId: 'spa',
    redirectUri: SPA_REDIRECT,
    scope: 'openid offline_access',
    dpop: true,
  })
}

describe('the DPoP key pair generated for `dpop: true`', () => {
  it('is an ECDSA P-256 pair whose private key is not extractable', async () => {
    const generated = watchGeneratedKeys()
    const client = await dpopClient()
    expect(generated).toHaveLength(0) // generated on first use, not at construction
    expect(await client.core.dpop()).toBeDefined()
    expect(generated).toHaveLength(1)
    const { privateKey, publicKey } = generated[0]!
    expect(privateKey.type).toBe('private')
    expect(privateKey.extractable).toBe(false)
    expect(privateKey.usages).toEqual(['sign'])
    expect(privateKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' })
    // The public half goes into every proof's `jwk` header, so it must be exportable.
    expect(publicKey.extractable).toBe(true)
  })

  it('cannot be exported, in any format', async () => {
    const generated = watchGeneratedKeys()
    const client = await dpopClient()
    await client.core.dpop()
    const { privateKey } = generated[0]!
    for (const format of ['jwk', 'pkcs8'] as const) {
      const exported = await crypto.subtle.exportKey(format, privateKey).then(
        () => 'exported',
        (error: unknown) => (error instanceof Error ? error.name : String(error)),
      )
      // Browsers name it InvalidAccessError, Node InvalidAccessException.
      expect(exported).toMatch(/^InvalidAccess(Error|Exception)$/)
    }
  })

  it('is the key the tokens are bound to: dpop_jkt and cnf.jkt are its thumbprint', async () => {
    const generated = watchGeneratedKeys()
    const client = await dpopClient()
    const { params, transaction, requestUrl } = await login(client)
    expect(generated).toHaveLength(1)
    const thumbprint = await calculateJwkThumbprint(
      await crypto.subtle.exportKey('jwk', generated[0]!.publicKey),
    )
    expect(requestUrl.searchParams.get('dpop_jkt')).toBe(thumbprint)
    const tokens = await client.handleAuthorizationResponse(params, transaction)
    expect(tokens.tokenType).toBe('DPoP')
    expect(decodeJwt(tokens.accessToken).cnf).toEqual({ jkt: thumbprint })
    // Refreshing keeps the same key: no second pair, same binding.
    const next = await client.refresh(tokens)
    expect(generated).toHaveLength(1)
    expect(decodeJwt(next.accessToken).cnf).toEqual({ jkt: thumbprint })
  })

  it('is generated once per client, and each client gets its own', async () => {
    const generated = watchGeneratedKeys()
    const a = await dpopClient()
    const b = await dpopClient()
    const [first, again] = await Promise.all([a.core.dpop(), a.core.dpop()])
    expect(again).toBe(first)
    expect(await a.core.dpop()).toBe(first)
    expect(generated).toHaveLength(1)
    await b.core.dpop()
    expect(generated).toHaveLength(2)
    const [jktA, jktB] = await Promise.all(
      generated.map(async (pair) =>
        calculateJwkThumbprint(await crypto.subtle.exportKey('jwk', pair.publicKey)),
      ),
    )
    expect(jktA).not.toBe(jktB)
  })

  it('is not generated at all without `dpop`', async () => {
    const generated = watchGeneratedKeys()
    const client = await h.client({ clientId: 'spa', redirectUri: SPA_REDIRECT })
    expect(await client.core.dpop()).toBeUndefined()
    const { url } = await client.createAuthorizationRequest()
    expect(url.searchParams.get('dpop_jkt')).toBeNull()
    expect(generated).toHaveLength(0)
  })
})
