/** The token endpoint (RFC 6749 §3.2): client authentication, DPoP, then the grant. */
import type { Hono } from 'hono'
import { authenticateClient } from '../clients.ts'
import { currentNonce, DpopError, nonceHeaderForSuccess, verifyDpopProof } from '../dpop.ts'
import { invalidRequest, OAuthHttpError, oauthErrorResponse } from '../errors.ts'
import { BUILTIN_GRANTS } from '../grants/registry.ts'
import { vendorGrant } from '../grants/vendor.ts'
import { type AppContext, type AppEnv, readForm } from '../http.ts'
import { boundThumbprint } from '../mtls.ts'
import type { ServerState } from '../state.ts'

/** Turns a refused DPoP proof into the token endpoint's 400 answer (RFC 9449 §7.1, §8). */
export function dpopTokenError(state: ServerState, err: DpopError): OAuthHttpError {
  const headers: Record<string, string> =
    err.error === 'use_dpop_nonce' ? { 'DPoP-Nonce': currentNonce(state) } : {}
  return new OAuthHttpError(err.error, err.message, 400, headers)
}

/** Validates the DPoP proof of a back-channel request; converts errors to OAuth errors. */
export async function tokenEndpointDpop(state: ServerState, c: AppContext) {
  try {
    return await verifyDpopProof(state, c)
  } catch (err) {
    if (err instanceof DpopError) throw dpopTokenError(state, err)
    throw err
  }
}

export function registerToken(app: Hono<AppEnv>, state: ServerState): void {
  app.post('/token', async (c) => {
    try {
      const form = await readForm(c)
      const grantType = form.get('grant_type')
      c.get('log').grantType = grantType ?? undefined
      const client = await authenticateClient(state, c, form, { allowPublic: true })
      if (!grantType) throw invalidRequest('grant_type is required')
      const vendor = state.vendorGrants[grantType]
      const handler = BUILTIN_GRANTS[grantType] ?? (vendor ? vendorGrant(vendor) : undefined)
      if (!handler) {
        throw new OAuthHttpError('unsupported_grant_type', `unsupported grant_type ${grantType}`)
      }
      if (!client.grant_types.includes(grantType)) {
        throw new OAuthHttpError('unauthorized_client', `this client may not use ${grantType}`)
      }
      let jkt = await tokenEndpointDpop(state, c)
      if (client.dpop_bound_access_tokens && !jkt) {
        throw new OAuthHttpError('invalid_dpop_proof', 'this client must send a DPoP proof')
      }
      // dropDpopBinding: codes and refresh tokens may be bound to the proof key, so those grants
      // keep the key for their checks and only the answer drops the binding (token_type Bearer).
      const dropBinding = Boolean(state.faults.current.tokenResponse?.dropDpopBinding)
      const keyBoundGrant = grantType === 'authorization_code' || grantType === 'refresh_token'
      if (dropBinding && !keyBoundGrant) jkt = undefined
      const x5t = boundThumbprint(c, client)
      const body = await handler({ state, c, client, form, grantType, jkt, x5t })
      if (dropBinding && keyBoundGrant) body.token_type = 'Bearer'
      const fault = state.faults.tokenResponse()
      if (fault?.omitExpiresIn) delete body.expires_in
      if (fault?.omitIdToken) delete body.id_token
      if (fault?.omitIssuedTokenType) delete body.issued_token_type
      if (fault?.omitScope) delete body.scope
      if (fault && 'expiresIn' in fault) body.expires_in = fault.expiresIn
      if (fault?.tokenType !== undefined) body.token_type = fault.tokenType
      if (fault && 'accessToken' in fault) body.access_token = fault.accessToken
      if (fault?.padBytes) body.padding = 'x'.repeat(fault.padBytes)
      nonceHeaderForSuccess(state, c)
      c.header('Cache-Control', 'no-store')
      c.header('Pragma', 'no-cache')
      if (fault?.truncateBy) {
        const text = JSON.stringify(body).slice(0, -fault.truncateBy)
        return c.body(text, 200, { 'Content-Type': 'application/json' })
      }
      return c.json(body)
    } catch (err) {
      return oauthErrorResponse(c, err)
    }
  })
}
