/** Shared helpers for the reference server's tests (real HTTP on 127.0.0.1). */
import { base64url, decodeJwt } from 'jose'

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are inspected freely in tests
export type Json = Record<string, any>

export function pkce() {
  const verifier = base64url.encode(crypto.getRandomValues(new Uint8Array(32)))
  return {
    verifier,
    challenge: async () =>
      base64url.encode(
        new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
      ),
  }
}

export async function authorizeUrl(
  issuer: string,
  params: Record<string, string | undefined>,
): Promise<{ url: URL; verifier: string }> {
  const p = pkce()
  const url = new URL(`${issuer}/authorize`)
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: 'spa',
    redirect_uri: 'http://127.0.0.1:4001/callback.html',
    scope: 'openid profile email offline_access',
    // OpenID Connect Core §11: offline_access (a refresh token) needs prompt=consent.
    prompt: 'consent',
    state: 'st-123',
    code_challenge: await p.challenge(),
    code_challenge_method: 'S256',
    ...params,
  }
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v)
  return { url, verifier: p.verifier }
}

export function basic(id: string, secret: string): string {
  return `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`
}

export async function tokenRequest(
  issuer: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers }
}

/** alice's tokens for `scope` by the password grant of `legacy-password` (no browser needed). */
export function passwordTokens(issuer: string, scope: string) {
  return tokenRequest(issuer, {
    grant_type: 'password',
    client_id: 'legacy-password',
    client_secret: 'password-secret',
    username: 'alice',
    password: 'wonderland',
    scope,
  })
}

export const claims = (jwt: string) => decodeJwt(jwt) as Json

/** A DPoP key and a proof factory (RFC 9449 §4.2). */
export async function dpopKey() {
  const { generateKeyPair, exportJWK, SignJWT, calculateJwkThumbprint } = await import('jose')
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  const jkt = await calculateJwkThumbprint(jwk)
  return {
    jkt,
    proof: async (
      htm: string,
      htu: string,
      extra: { accessToken?: string; nonce?: string; iat?: number; jti?: string } = {},
    ) => {
      const claims: Json = {
        htm,
        htu,
        iat: extra.iat ?? Math.floor(Date.now() / 1000),
        jti: extra.jti ?? crypto.randomUUID(),
      }
      if (extra.nonce) claims.nonce = extra.nonce
      if (extra.accessToken) {
        const digest = await crypto.subtle.digest(
          'SHA-256',
          new TextEncoder().encode(extra.accessToken),
        )
        claims.ath = base64url.encode(new Uint8Array(digest))
      }
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .sign(privateKey)
    },
  }
}

/** Logs in alice through the spa client and returns the token response. */
export async function loginTokens(
  issuer: string,
  completeLogin: (url: URL) => Promise<{ params: URLSearchParams }>,
  params: Record<string, string | undefined> = {},
  headers: Record<string, string> = {},
) {
  const { url, verifier } = await authorizeUrl(issuer, params)
  const { params: response } = await completeLogin(url)
  const code = response.get('code')
  if (!code) throw new Error(`no code: ${response}`)
  return tokenRequest(
    issuer,
    {
      grant_type: 'authorization_code',
      client_id: params.client_id ?? 'spa',
      code,
      redirect_uri: params.redirect_uri ?? 'http://127.0.0.1:4001/callback.html',
      code_verifier: verifier,
    },
    headers,
  )
}

export async function userinfo(issuer: string, accessToken: string) {
  return fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })
}
