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

export const claims = (jwt: string) => decodeJwt(jwt) as Json
