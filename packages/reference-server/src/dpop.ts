/**
 * DPoP proof validation (RFC 9449 §4.3): typ, alg, public jwk, signature, htm, htu, iat window,
 * jti replay, ath, and the server-provided nonce (§8, §9).
 */
import { calculateJwkThumbprint, EmbeddedJWK, type JWK, jwtVerify } from 'jose'
import { randomId, sha256 } from './crypto-utils.ts'
import type { AppContext } from './http.ts'
import { rememberJti, type ServerState } from './state.ts'

export const DPOP_ALGS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA']

/** A refused proof; `error` is `invalid_dpop_proof` or `use_dpop_nonce`. */
export class DpopError extends Error {
  readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce'
  constructor(error: DpopError['error'], description: string) {
    super(description)
    this.name = 'DpopError'
    this.error = error
  }
}

/** Whether proofs must carry a nonce right now. */
export function nonceRequired(state: ServerState): boolean {
  const fault = state.faults.current.dpop
  return Boolean(
    state.options.requireDpopNonce || fault?.nonceEveryRequest || fault?.rejectEveryNonce,
  )
}

/** The nonce clients must use next. */
export function currentNonce(state: ServerState): string {
  if (state.dpopNonces.length === 0) state.dpopNonces.unshift(randomId(16))
  return state.dpopNonces[0]!
}

function rotateNonce(state: ServerState): string {
  state.dpopNonces = [randomId(16), ...state.dpopNonces].slice(0, 2)
  return state.dpopNonces[0]!
}

/**
 * Validates the request's DPoP proof, if any. Returns the key thumbprint (`jkt`) or undefined
 * when there is no `DPoP` header; throws DpopError for a bad proof.
 */
export async function verifyDpopProof(
  state: ServerState,
  c: AppContext,
  options: { accessToken?: string } = {},
): Promise<string | undefined> {
  const proof = c.req.header('dpop')
  if (proof === undefined) return undefined
  if (proof.includes(',') || proof.split('.').length !== 3) {
    throw new DpopError('invalid_dpop_proof', 'exactly one DPoP proof JWT is required')
  }
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload']
  let jwk: JWK
  try {
    const result = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGS })
    payload = result.payload
    jwk = result.protectedHeader.jwk as JWK
  } catch (err) {
    throw new DpopError('invalid_dpop_proof', `DPoP proof rejected: ${(err as Error).message}`)
  }
  if ('d' in jwk || 'k' in jwk) {
    throw new DpopError('invalid_dpop_proof', 'the proof jwk must be a public key')
  }
  const url = new URL(c.req.url)
  // §4.3: the URI of this request, so at the mtls_endpoint_aliases the mutual-TLS listener's.
  const base = c.get('tls')?.mtls && state.mtlsUrl ? state.mtlsUrl : state.issuer
  const expectedHtu = `${base}${url.pathname}`
  if (payload.htm !== c.req.method) throw new DpopError('invalid_dpop_proof', 'htm mismatch')
  if (typeof payload.htu !== 'string' || stripQuery(payload.htu) !== expectedHtu) {
    throw new DpopError('invalid_dpop_proof', 'htu mismatch')
  }
  const now = state.now()
  if (typeof payload.iat !== 'number' || Math.abs(payload.iat - now) > 60) {
    throw new DpopError('invalid_dpop_proof', 'iat outside the acceptable window')
  }
  if (typeof payload.jti !== 'string' || payload.jti.length < 8) {
    throw new DpopError('invalid_dpop_proof', 'jti missing')
  }
  if (options.accessToken !== undefined) {
    if (payload.ath !== (await sha256(options.accessToken))) {
      throw new DpopError('invalid_dpop_proof', 'ath does not match the access token')
    }
  }
  if (state.faults.current.dpop?.rejectEveryNonce) {
    // Fault: every proof, whatever its nonce, is challenged with a new nonce.
    rotateNonce(state)
    throw new DpopError('use_dpop_nonce', 'a fresh DPoP nonce is required')
  }
  if (nonceRequired(state)) {
    if (typeof payload.nonce !== 'string' || !state.dpopNonces.includes(payload.nonce)) {
      currentNonce(state)
      throw new DpopError('use_dpop_nonce', 'a fresh DPoP nonce is required')
    }
  }
  const jkt = await calculateJwkThumbprint(jwk)
  if (!rememberJti(state, `dpop ${jkt} ${payload.jti}`, now + 120)) {
    throw new DpopError('invalid_dpop_proof', 'DPoP proof jti was already used')
  }
  if (state.faults.current.dpop?.nonceEveryRequest && typeof payload.nonce === 'string') {
    // The nonce just used is spent: the next proof must carry a new one.
    state.dpopNonces = state.dpopNonces.filter((n) => n !== payload.nonce)
  }
  return jkt
}

/** Sets DPoP-Nonce on a successful answer when nonces are in use. */
export function nonceHeaderForSuccess(state: ServerState, c: AppContext): void {
  if (state.faults.current.dpop?.rotateNonce) c.header('DPoP-Nonce', rotateNonce(state))
  else if (nonceRequired(state)) c.header('DPoP-Nonce', currentNonce(state))
}

function stripQuery(htu: string): string {
  try {
    const u = new URL(htu)
    return `${u.origin}${u.pathname}`
  } catch {
    return ''
  }
}
