/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): `id_token_hint` must be an ID
 * token of this server whose audience matches `client_id`; `post_logout_redirect_uri` must be
 * registered for that client; `state` is echoed; the session cookie is cleared. Without
 * `id_token_hint`, or with one of another user than the signed-in one, the user is asked first
 * (§2: the OP MUST ask), through a form with a one-time token, so another site cannot sign the
 * user out by a link.
 */
import type { Hono } from 'hono'
import { type AppContext, type AppEnv, readForm, readQuery } from '../http.ts'
import { randomId } from '../crypto-utils.ts'
import { logoutConfirmPage, messagePage } from '../pages.ts'
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
  let hintSub: unknown
  if (hint) {
    const claims = await verifyIdToken(state, hint, { allowExpired: true })
    if (!claims)
      return showError(c, 'invalid_request', 'id_token_hint is not an ID token of this server')
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    if (clientId !== undefined && !aud.includes(clientId)) {
      return showError(c, 'invalid_request', 'id_token_hint audience does not match client_id')
    }
    clientId ??= aud.length === 1 ? aud[0] : (claims.azp as string | undefined)
    hintSub = claims.sub
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
  c.header('Cache-Control', 'no-store')
  // §2: the OP MUST ask without id_token_hint, or when the hint is not the signed-in user's.
  if (session && (!hint || hintSub !== session.sub)) {
    const answer = params.get('logout_confirmation')
    const confirmed =
      c.req.method === 'POST' &&
      answer !== null &&
      answer === session.logoutConfirmation &&
      params.get('decision') === 'logout'
    if (!confirmed) {
      if (c.req.method === 'POST' && answer !== null && answer === session.logoutConfirmation) {
        // "Stay signed in": back to the client (with its state), session untouched.
        session.logoutConfirmation = undefined
        return redirect !== null
          ? c.redirect(backTo(redirect, params.get('state')), 303)
          : c.html(messagePage('Still signed in', 'Your session at the reference server goes on.'))
      }
      session.logoutConfirmation = randomId(16)
      const keep: Record<string, string> = {}
      for (const name of ['client_id', 'post_logout_redirect_uri', 'state', 'ui_locales']) {
        const value = params.get(name)
        if (value !== null) keep[name] = value
      }
      // The client the hint named: the form does not carry the hint.
      if (clientId !== undefined) keep.client_id = clientId
      keep.logout_confirmation = session.logoutConfirmation
      return c.html(logoutConfirmPage(keep))
    }
  }
  endSession(state, c)
  if (session) await notifyBackchannelLogout(state, session)
  if (redirect !== null) return c.redirect(backTo(redirect, params.get('state')), 303)
  return c.html(messagePage('Signed out', 'You are signed out of the reference server.'))
}

/** The post-logout redirect URI with `state` echoed. */
function backTo(redirect: string, state: string | null): string {
  const url = new URL(redirect)
  if (state !== null) url.searchParams.set('state', state)
  return url.href
}

export function registerEndSession(app: Hono<AppEnv>, state: ServerState): void {
  app.on(['GET', 'POST'], '/end_session', (c) => endSessionHandler(state, c))
}
