/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): `id_token_hint` must be an ID
 * token of this server whose audience matches `client_id`; `post_logout_redirect_uri` must be
 * registered for that client; `state` is echoed; the session cookie is cleared.
 */
import type { Hono } from 'hono'
import { type AppContext, type AppEnv, readForm, readQuery } from '../http.ts'
import { messagePage } from '../pages.ts'
import { notifyBackchannelLogout } from '../backchannel-logout.ts'
import { endSession, getSession } from '../session.ts'
import type { ServerState } from '../state.ts'
import { verifyIdToken } from '../tokens.ts'
import { showError } from './authorize.ts'

async function endSessionHandler(state: ServerState, c: AppContext): Promise<Response> {
  let params: URLSearchParams
  try {
    params = c.req.method === 'GET' ? readQuery(c) : await readForm(c)
  } catch (err) {
    return showError(c, 'invalid_request', (err as Error).message)
  }
  let clientId = params.get('client_id') ?? undefined
  const hint = params.get('id_token_hint')
  if (hint) {
    const claims = await verifyIdToken(state, hint, { allowExpired: true })
    if (!claims)
      return showError(c, 'invalid_request', 'id_token_hint is not an ID token of this server')
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    if (clientId !== undefined && !aud.includes(clientId)) {
      return showError(c, 'invalid_request', 'id_token_hint audience does not match client_id')
    }
    clientId ??= aud.length === 1 ? aud[0] : (claims.azp as string | undefined)
  }
  c.get('log').clientId = clientId
  const client = clientId ? state.clients.get(clientId) : undefined
  if (clientId && !client) return showError(c, 'invalid_request', 'unknown client_id')
  const redirect = params.get('post_logout_redirect_uri')
  if (redirect !== null) {
    if (!client) {
      return showError(
        c,
        'invalid_request',
        'post_logout_redirect_uri needs id_token_hint or client_id',
      )
    }
    if (!(client.post_logout_redirect_uris ?? []).includes(redirect)) {
      return showError(c, 'invalid_request', 'post_logout_redirect_uri is not registered')
    }
  }
  const session = getSession(state, c)
  endSession(state, c)
  if (session) await notifyBackchannelLogout(state, session)
  c.header('Cache-Control', 'no-store')
  if (redirect !== null) {
    const url = new URL(redirect)
    const st = params.get('state')
    if (st !== null) url.searchParams.set('state', st)
    return c.redirect(url.href, 303)
  }
  return c.html(messagePage('Signed out', 'You are signed out of the reference server.'))
}

export function registerEndSession(app: Hono<AppEnv>, state: ServerState): void {
  app.on(['GET', 'POST'], '/end_session', (c) => endSessionHandler(state, c))
}
