/**
 * Access-token checks at protected resources (userinfo, /api/*): RFC 6750 Bearer,
 * RFC 9449 DPoP-bound and RFC 8705 certificate-bound tokens, with the matching
 * `WWW-Authenticate` challenges.
 */
import type { JWTPayload } from 'jose'
import {
  currentNonce,
  DPOP_ALGS,
  DpopError,
  nonceHeaderForSuccess,
  verifyDpopProof,
} from './dpop.ts'
import { certificateThumbprint } from './certificate.ts'
import type { AppContext } from './http.ts'
import { clientCertificate } from './mtls.ts'
import type { AccessTokenRecord, ServerState } from './state.ts'
import { verifyAccessToken } from './tokens.ts'

export type ResourceAuth =
  | { ok: true; claims: JWTPayload; record: AccessTokenRecord; scheme: 'Bearer' | 'DPoP' }
  | { ok: false; response: Response }

/** Answers 400/401/403 with both challenges (the client may use either scheme). */
export function challenge(
  c: AppContext,
  status: 400 | 401 | 403,
  scheme: 'Bearer' | 'DPoP',
  error?: string,
  description?: string,
): Response {
  const params = error ? `, error="${error}", error_description="${description ?? error}"` : ''
  const bearer = `Bearer realm="openrp"${scheme === 'Bearer' ? params : ''}`
  const dpop = `DPoP algs="${DPOP_ALGS.join(' ')}"${scheme === 'DPoP' ? params : ''}`
  c.header('WWW-Authenticate', bearer)
  c.header('WWW-Authenticate', dpop, { append: true })
  c.header('Cache-Control', 'no-store')
  return c.json(error ? { error, error_description: description ?? error } : {}, status)
}

/** Authenticates the access token of a resource request. */
export async function authenticateResource(
  state: ServerState,
  c: AppContext,
  options: { formToken?: string } = {},
): Promise<ResourceAuth> {
  const header = c.req.header('authorization')
  let scheme: 'Bearer' | 'DPoP' = 'Bearer'
  let token: string | undefined
  if (header !== undefined) {
    const named = header.match(/^(Bearer|DPoP)(?: |$)/i)
    // RFC 6750 §3.1: another scheme is no credentials for this resource (no error code).
    if (!named) return { ok: false, response: challenge(c, 401, 'Bearer') }
    scheme = named[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer'
    // One token68 after the scheme; anything else (none, two, other characters) is a
    // malformed request (RFC 6750 §2.1, §3.1).
    const match = header.match(/^\S+ ([A-Za-z0-9._~+/-]+=*)$/)
    if (!match) {
      return {
        ok: false,
        response: challenge(c, 400, scheme, 'invalid_request', 'malformed Authorization header'),
      }
    }
    token = match[1]!
    if (options.formToken) {
      return {
        ok: false,
        response: challenge(c, 400, scheme, 'invalid_request', 'token sent twice'),
      }
    }
  } else if (options.formToken) {
    token = options.formToken
  }
  if (!token) return { ok: false, response: challenge(c, 401, scheme) }

  const verified = await verifyAccessToken(state, token)
  if (!verified) {
    return {
      ok: false,
      response: challenge(
        c,
        401,
        scheme,
        'invalid_token',
        'invalid, expired or revoked access token',
      ),
    }
  }
  const { record, claims } = verified
  // RFC 8705 §3: a certificate-bound token only with the certificate it is bound to.
  const x5t = (claims.cnf as Record<string, unknown> | undefined)?.['x5t#S256']
  if (typeof x5t === 'string') {
    const cert = clientCertificate(c)
    if (!cert || certificateThumbprint(cert) !== x5t) {
      return {
        ok: false,
        response: challenge(
          c,
          401,
          scheme,
          'invalid_token',
          cert
            ? 'the token is bound to another client certificate'
            : 'the token is bound to a client certificate that was not presented',
        ),
      }
    }
  }
  if (record.jkt) {
    if (scheme !== 'DPoP') {
      return {
        ok: false,
        response: challenge(
          c,
          401,
          'DPoP',
          'invalid_token',
          'DPoP-bound token presented without DPoP',
        ),
      }
    }
    try {
      const jkt = await verifyDpopProof(state, c, { accessToken: token })
      if (!jkt) {
        return {
          ok: false,
          response: challenge(c, 401, 'DPoP', 'invalid_dpop_proof', 'DPoP proof required'),
        }
      }
      if (jkt !== record.jkt) {
        return {
          ok: false,
          response: challenge(
            c,
            401,
            'DPoP',
            'invalid_token',
            'the proof key is not the one the token is bound to',
          ),
        }
      }
    } catch (err) {
      if (!(err instanceof DpopError)) throw err
      if (err.error === 'use_dpop_nonce') c.header('DPoP-Nonce', currentNonce(state))
      return { ok: false, response: challenge(c, 401, 'DPoP', err.error, err.message) }
    }
    nonceHeaderForSuccess(state, c)
  } else if (scheme === 'DPoP') {
    return {
      ok: false,
      response: challenge(c, 401, 'DPoP', 'invalid_token', 'the token is not DPoP-bound'),
    }
  }
  return { ok: true, claims, record, scheme }
}
