/**
 * Dynamic client registration: `POST /register` (RFC 7591 §3) and the client configuration
 * endpoint `GET / PUT / DELETE /register/<client_id>` (RFC 7592 §2), authorized by the
 * per-client registration access token (Bearer). With `registration.initialAccessToken`, the
 * registration endpoint wants that token as a Bearer token (RFC 7591 §3). With
 * `registration: false` none of these routes exist.
 */
import type { Hono } from 'hono'
import { safeEqual } from '../crypto-utils.ts'
import { randomId } from '../crypto-utils.ts'
import { invalidRequest, OAuthHttpError, oauthErrorResponse } from '../errors.ts'
import type { AppContext, AppEnv } from '../http.ts'
import {
  invalidClientMetadata,
  type RegistrationRecord,
  registrationResponse,
  secretFor,
  validateClientMetadata,
} from '../registration.ts'
import type { ServerState } from '../state.ts'
import { revokeGrant } from '../tokens.ts'
import type { ClientConfig } from '../types.ts'

/** Members only the server sets; an RFC 7592 update must not send them (§2.2). */
const SERVER_ONLY = [
  'registration_access_token',
  'registration_client_uri',
  'client_secret_expires_at',
  'client_id_issued_at',
]

/** RFC 6750 §3: 401 with a Bearer challenge; `error` only when a token was sent. */
function bearerError(description: string, tokenSent: boolean): OAuthHttpError {
  const challenge = tokenSent
    ? `Bearer realm="openrp", error="invalid_token", error_description="${description}"`
    : 'Bearer realm="openrp"'
  return new OAuthHttpError('invalid_token', description, 401, { 'WWW-Authenticate': challenge })
}

/** The Bearer token of the request, if it has one. */
function bearerToken(c: AppContext): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(c.req.header('authorization') ?? '')
  return match?.[1]
}

async function readJson(c: AppContext): Promise<unknown> {
  const type = c.req.header('content-type') ?? ''
  if (!type.toLowerCase().startsWith('application/json'))
    throw invalidRequest('the body must be application/json')
  try {
    return await c.req.json()
  } catch {
    throw invalidClientMetadata('the body is not JSON')
  }
}

/** Answers a registration, spoiled by the `registrationResponse` fault when one is set. */
function answer(
  state: ServerState,
  c: AppContext,
  body: Record<string, unknown>,
  status: 200 | 201,
) {
  const fault = state.faults.registrationResponse()
  const out = { ...body, ...fault?.set }
  for (const name of fault?.omit ?? []) delete out[name]
  c.header('Cache-Control', 'no-store')
  return c.json(out, status)
}

/** Ends every grant and token of a deleted client (RFC 7592 §2.3). */
function forgetClient(state: ServerState, clientId: string): void {
  for (const grant of state.grants.values())
    if (grant.clientId === clientId) revokeGrant(state, grant.id)
  for (const token of state.accessTokens.values())
    if (token.clientId === clientId) token.revoked = true
  for (const [key, par] of state.par) if (par.clientId === clientId) state.par.delete(key)
  state.clients.delete(clientId)
  state.registrations.delete(clientId)
}

/** Adds a newly registered client's redirect origins to CORS unless `corsOrigins` is set. */
function allowOrigins(state: ServerState, client: ClientConfig): void {
  if (state.options.corsOrigins) return
  for (const uri of client.redirect_uris ?? []) {
    const { origin } = new URL(uri)
    if (origin !== 'null') state.corsOrigins.add(origin)
  }
}

/** Adds the registration routes, unless `registration: false`. */
export function registerRegistration(app: Hono<AppEnv>, state: ServerState): void {
  const options = state.options.registration
  if (options === false) return

  app.post('/register', async (c) => {
    try {
      const required = options?.initialAccessToken
      if (required !== undefined) {
        const given = bearerToken(c)
        if (given === undefined) throw bearerError('an initial access token is required', false)
        if (!(await safeEqual(given, required)))
          throw bearerError('the initial access token is not valid', true)
      }
      const { config, extra } = await validateClientMetadata(state, await readJson(c))
      const clientId = `dyn-${randomId(12)}`
      const secret = secretFor(config.token_endpoint_auth_method)
      const client: ClientConfig = {
        client_id: clientId,
        ...config,
        ...(secret !== undefined && { client_secret: secret }),
      }
      const record: RegistrationRecord = { accessToken: randomId(32), issuedAt: state.now(), extra }
      state.clients.set(clientId, client)
      state.registrations.set(clientId, record)
      allowOrigins(state, client)
      c.get('log').clientId = clientId
      return answer(state, c, registrationResponse(state, client, record), 201)
    } catch (err) {
      return oauthErrorResponse(c, err)
    }
  })

  /** The registered client the request's registration access token is for, or 401. */
  async function authorized(c: AppContext) {
    const clientId = c.req.param('clientId') ?? ''
    c.get('log').clientId = clientId
    const token = bearerToken(c)
    if (token === undefined) throw bearerError('a registration access token is required', false)
    const record = state.registrations.get(clientId)
    const client = state.clients.get(clientId)
    // RFC 7592 §2: an unknown client and a wrong token get the same 401.
    if (!record || !client || !(await safeEqual(token, record.accessToken)))
      throw bearerError('the registration access token is not valid', true)
    return { clientId, client, record }
  }

  app.get('/register/:clientId', async (c) => {
    try {
      const { client, record } = await authorized(c)
      return answer(state, c, registrationResponse(state, client, record), 200)
    } catch (err) {
      return oauthErrorResponse(c, err)
    }
  })

  app.put('/register/:clientId', async (c) => {
    try {
      const { clientId, client, record } = await authorized(c)
      const body = await readJson(c)
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw invalidClientMetadata('the body must be a JSON object of client metadata')
      const input = body as Record<string, unknown>
      if (input.client_id !== clientId)
        throw invalidRequest('client_id must be sent and match the registration')
      const sent = SERVER_ONLY.filter((name) => name in input)
      if (sent.length) throw invalidRequest(`these members are set by the server: ${sent}`)
      if (input.client_secret !== undefined) {
        const matches =
          typeof input.client_secret === 'string' &&
          client.client_secret !== undefined &&
          (await safeEqual(input.client_secret, client.client_secret))
        if (!matches) throw invalidRequest('client_secret does not match the issued one')
      }
      const { client_id: _id, client_secret: _secret, ...metadata } = input
      const { config, extra } = await validateClientMetadata(state, metadata)
      const secret = secretFor(config.token_endpoint_auth_method, client.client_secret)
      const updated: ClientConfig = {
        client_id: clientId,
        ...config,
        ...(secret !== undefined && { client_secret: secret }),
      }
      record.extra = extra
      state.clients.set(clientId, updated)
      allowOrigins(state, updated)
      return answer(state, c, registrationResponse(state, updated, record), 200)
    } catch (err) {
      return oauthErrorResponse(c, err)
    }
  })

  app.delete('/register/:clientId', async (c) => {
    try {
      const { clientId } = await authorized(c)
      forgetClient(state, clientId)
      c.header('Cache-Control', 'no-store')
      return c.body(null, 204)
    } catch (err) {
      return oauthErrorResponse(c, err)
    }
  })
}
