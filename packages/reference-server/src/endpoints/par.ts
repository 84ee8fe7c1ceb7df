/**
 * Pushed authorization requests (RFC 9126): validated up front (a pushed request object is
 * verified and replaces the other parameters), answered with a request_uri.
 */
import type { Hono } from 'hono'
import { AuthorizationError, validateAuthorizationRequest } from '../authorization-request.ts'
import { authenticateClient } from '../clients.ts'
import { randomId } from '../crypto-utils.ts'
import { invalidRequest, OAuthHttpError, oauthErrorResponse } from '../errors.ts'
import { type AppEnv, readForm } from '../http.ts'
import { PAR_URN_PREFIX, resolveRequestObject } from '../request-object.ts'
import type { ServerState } from '../state.ts'
import { tokenEndpointDpop } from './token.ts'

const PAR_TTL = 60

export function registerPar(app: Hono<AppEnv>, state: ServerState): void {
  app.post('/par', async (c) => {
    try {
      const form = await readForm(c)
      const client = await authenticateClient(state, c, form, { allowPublic: true })
      if (form.has('request_uri'))
        throw invalidRequest('request_uri is not allowed in a pushed request')
      let params = new URLSearchParams(form)
      for (const name of ['client_secret', 'client_assertion', 'client_assertion_type']) {
        params.delete(name)
      }
      params.set('client_id', client.client_id)
      try {
        // A pushed request object (RFC 9126 §3) must name the authenticated client.
        params = await resolveRequestObject(state, params)
        validateAuthorizationRequest(state, params)
      } catch (err) {
        if (err instanceof AuthorizationError) throw new OAuthHttpError(err.error, err.message)
        throw err
      }
      const dpopJkt = await tokenEndpointDpop(state, c)
      // RFC 9449 §10.1: with both a proof and dpop_jkt, they must name the same key.
      const requestedJkt = params.get('dpop_jkt')
      if (dpopJkt !== undefined && requestedJkt !== null && requestedJkt !== dpopJkt)
        throw invalidRequest('dpop_jkt does not match the key of the DPoP proof')
      const requestUri = `${PAR_URN_PREFIX}${randomId(24)}`
      state.par.set(requestUri, {
        requestUri,
        clientId: client.client_id,
        params,
        expiresAt: state.now() + PAR_TTL,
        dpopJkt,
      })
      c.header('Cache-Control', 'no-store')
      return c.json({ request_uri: requestUri, expires_in: PAR_TTL }, 201)
    } catch (err) {
      return oauthErrorResponse(c, err)
    }
  })
}
