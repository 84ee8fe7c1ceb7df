/**
 * Building and delivering authorization responses: code, tokens and ID token in the front
 * channel, the RFC 9207 `iss` parameter, and the query / fragment / form_post response modes.
 */
import type { ErrorTarget } from './authorization-request.ts'
import { randomId } from './crypto-utils.ts'
import type { AppContext } from './http.ts'
import { formPostPage } from './pages.ts'
import { chooseAcr } from './session.ts'
import { type AuthorizationRequest, type ServerState, type Session, ttl } from './state.ts'
import { issueAccessToken, issueIdToken, newGrant } from './tokens.ts'

/** Sends `params` to the client's redirect URI in the given response mode. */
export function deliver(
  c: AppContext,
  redirectUri: string,
  mode: AuthorizationRequest['responseMode'],
  params: Record<string, string>,
): Response | Promise<Response> {
  c.header('Cache-Control', 'no-store')
  if (mode === 'form_post') return c.html(formPostPage(redirectUri, params))
  const url = new URL(redirectUri)
  if (mode === 'query') {
    for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v)
  } else {
    url.hash = new URLSearchParams(params).toString()
  }
  return c.redirect(url.href, 303)
}

/** Applies the `authorizationResponse` fault (wrong / missing state and iss). */
function spoil(state: ServerState, params: Record<string, string>): Record<string, string> {
  const fault = state.faults.authorizationResponse()
  if (!fault) return params
  const out = { ...params }
  if (fault.state === 'missing') delete out.state
  if (fault.state === 'wrong') out.state = `wrong-${randomId(8)}`
  if (fault.iss === 'missing') delete out.iss
  if (fault.iss === 'wrong') out.iss = 'https://attacker.example.test'
  return out
}

/** Sends an error to the client (RFC 6749 §4.1.2.1), with `iss` (RFC 9207). */
export function deliverError(
  state: ServerState,
  c: AppContext,
  target: ErrorTarget,
  error: string,
  description: string,
): Response | Promise<Response> {
  const params: Record<string, string> = { error, error_description: description }
  if (target.state !== undefined) params.state = target.state
  params.iss = state.issuer
  return deliver(c, target.redirectUri, target.responseMode, spoil(state, params))
}

/** Issues what the response type asks for and sends it to the client. */
export async function finishAuthorization(
  state: ServerState,
  c: AppContext,
  request: AuthorizationRequest,
  session: Session,
): Promise<Response> {
  const client = state.clients.get(request.clientId)!
  const parts = request.responseType.split(' ')
  const grantId = newGrant(state, client.client_id, session.sub, session.sid)
  const acr = chooseAcr(request.acrValues)
  const params: Record<string, string> = {}
  let code: string | undefined
  let accessToken: string | undefined
  if (parts.includes('code')) {
    code = randomId(32)
    state.codes.set(code, {
      code,
      grantId,
      request,
      sub: session.sub,
      authTime: session.authTime,
      acr,
      sid: session.sid,
      expiresAt: state.now() + ttl(state).code,
      used: false,
    })
    params.code = code
  }
  if (parts.includes('token')) {
    const issued = await issueAccessToken(state, {
      client,
      sub: session.sub,
      scope: request.scope.filter((s) => s !== 'offline_access'),
      grantId,
      authTime: session.authTime,
      acr,
      audience: request.resource,
    })
    accessToken = issued.token
    params.access_token = issued.token
    params.token_type = 'Bearer'
    params.expires_in = String(issued.expiresIn)
    params.scope = request.scope.filter((s) => s !== 'offline_access').join(' ')
  }
  if (parts.includes('id_token')) {
    params.id_token = await issueIdToken(state, {
      client,
      sub: session.sub,
      scope: request.scope,
      nonce: request.nonce,
      authTime: session.authTime,
      acr,
      accessToken,
      code,
      state: request.state,
      sid: session.sid,
      channel: 'authorization',
      // OpenID Connect Core §5.4: in the ID token only when no access token is issued.
      userClaims: request.responseType === 'id_token',
    })
  }
  if (request.state !== undefined) params.state = request.state
  if (
    params.id_token === undefined ||
    state.options.authorizationResponseIss !== 'without-id-token'
  )
    params.iss = state.issuer
  return deliver(
    c,
    request.redirectUri,
    request.responseMode,
    spoil(state, params),
  ) as Promise<Response>
}
