/**
 * The authorization endpoint (GET and POST): validates the request (or takes it from PAR, or
 * from a signed request object), then runs login and consent as the session and `prompt` /
 * `max_age` demand.
 */
import type { Hono } from 'hono'
import { AuthorizationError, validateAuthorizationRequest } from '../authorization-request.ts'
import { deliverError, finishAuthorization } from '../authorization-response.ts'
import { randomId } from '../crypto-utils.ts'
import { type AppContext, type AppEnv, readForm, readQuery } from '../http.ts'
import { errorPage } from '../pages.ts'
import { PAR_URN_PREFIX, resolveRequestObject } from '../request-object.ts'
import { browserId, getSession } from '../session.ts'
import type { AuthorizationRequest, Interaction, ServerState, Session } from '../state.ts'
import { verifyIdToken } from '../tokens.ts'

/** Shows an error to the user (never redirected: the client or redirect URI is not trusted). */
export function showError(c: AppContext, error: string, description: string, status = 400) {
  c.header('Cache-Control', 'no-store')
  return c.html(errorPage(error, description), status as 400)
}

/** Takes a pushed request (RFC 9126 §4): one use, same client, not expired. */
function pushedParams(state: ServerState, params: URLSearchParams) {
  const requestUri = params.get('request_uri')!
  const record = state.par.get(requestUri)
  state.par.delete(requestUri)
  if (!record || record.expiresAt < state.now() || record.clientId !== params.get('client_id')) {
    throw new AuthorizationError('invalid_request_uri', 'unknown, expired or used request_uri')
  }
  return record
}

/**
 * The subject of an `id_token_hint`: an ID token this server signed (expired ones too, OIDC
 * Core §3.1.2.1); anything else is `invalid_request`, sent back to the client.
 */
async function hintedSubject(
  state: ServerState,
  request: AuthorizationRequest,
  hint: string,
): Promise<string> {
  const claims = await verifyIdToken(state, hint, { allowExpired: true })
  if (typeof claims?.sub !== 'string')
    throw new AuthorizationError(
      'invalid_request',
      'id_token_hint is not an ID token of this server',
      {
        redirectUri: request.redirectUri,
        responseMode: request.responseMode,
        state: request.state,
      },
    )
  return claims.sub
}

/** Continues an interaction: login, consent, or the response to the client. */
export async function continueAuthorization(
  state: ServerState,
  c: AppContext,
  interaction: Interaction,
  session: Session | undefined = getSession(state, c),
): Promise<Response> {
  const request = interaction.request!
  const client = state.clients.get(request.clientId)!
  const target = {
    redirectUri: request.redirectUri,
    responseMode: request.responseMode,
    state: request.state,
  }
  // max_age=0 behaves like prompt=login (OIDC Core §3.1.2.1). A session of another user than
  // the one id_token_hint names gets no positive answer without a login (§3.1.2.1).
  const fresh =
    session !== undefined &&
    (interaction.loggedIn ||
      ((request.idTokenHintSub === undefined || request.idTokenHintSub === session.sub) &&
        (request.maxAge === undefined ||
          (request.maxAge > 0 && state.now() - session.authTime <= request.maxAge))))
  const needLogin = !fresh || (request.prompt.includes('login') && !interaction.loggedIn)
  if (needLogin) {
    if (request.prompt.includes('none')) {
      state.interactions.delete(interaction.id)
      return deliverError(state, c, target, 'login_required', 'the user must log in')
    }
    return c.redirect(`/login?interaction=${encodeURIComponent(interaction.id)}`, 303)
  }
  const granted = state.consents.get(`${session!.sub} ${client.client_id}`)
  const needConsent =
    !client.skip_consent &&
    !interaction.consented &&
    (request.prompt.includes('consent') || !request.scope.every((s) => granted?.has(s)))
  if (needConsent) {
    if (request.prompt.includes('none')) {
      state.interactions.delete(interaction.id)
      return deliverError(state, c, target, 'consent_required', 'the user must consent')
    }
    return c.redirect(`/consent?interaction=${encodeURIComponent(interaction.id)}`, 303)
  }
  state.interactions.delete(interaction.id)
  return finishAuthorization(state, c, request, session!)
}

export function registerAuthorize(app: Hono<AppEnv>, state: ServerState): void {
  app.on(['GET', 'POST'], '/authorize', async (c) => {
    let params: URLSearchParams
    try {
      params = c.req.method === 'GET' ? readQuery(c) : await readForm(c)
    } catch (err) {
      return showError(c, 'invalid_request', (err as Error).message)
    }
    c.get('log').clientId = params.get('client_id') ?? undefined
    try {
      let dpopJkt: string | undefined
      if (params.has('request_uri')) {
        if (params.has('request'))
          throw new AuthorizationError(
            'invalid_request',
            'request and request_uri cannot be combined',
          )
        // By reference only as this server's own pushed requests (RFC 9101 §5.2 is not offered).
        if (!params.get('request_uri')!.startsWith(PAR_URN_PREFIX))
          throw new AuthorizationError(
            'request_uri_not_supported',
            'request_uri is only accepted for pushed authorization requests (PAR)',
          )
        const pushed = pushedParams(state, params)
        params = pushed.params
        dpopJkt = pushed.dpopJkt
      } else if (
        state.clients.get(params.get('client_id') ?? '')?.require_pushed_authorization_requests
      ) {
        throw new AuthorizationError('invalid_request', 'this client must use PAR')
      } else {
        // A request object replaces every other parameter (RFC 9101 §6.3).
        params = await resolveRequestObject(state, params)
      }
      const request = validateAuthorizationRequest(state, params)
      if (dpopJkt && !request.dpopJkt) request.dpopJkt = dpopJkt
      const hint = params.get('id_token_hint')
      if (hint !== null) request.idTokenHintSub = await hintedSubject(state, request, hint)
      const interaction: Interaction = {
        id: randomId(24),
        kind: 'authorize',
        browserId: browserId(c),
        clientId: request.clientId,
        request,
        createdAt: state.now(),
      }
      state.interactions.set(interaction.id, interaction)
      return await continueAuthorization(state, c, interaction)
    } catch (err) {
      if (!(err instanceof AuthorizationError)) throw err
      if (!err.target) return showError(c, err.error, err.message)
      return deliverError(state, c, err.target, err.error, err.message)
    }
  })
}
