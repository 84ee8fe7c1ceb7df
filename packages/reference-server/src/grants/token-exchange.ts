/**
 * Token exchange (RFC 8693): impersonation (subject_token only) and delegation (with an
 * actor_token, giving an `act` claim); requested_token_type access_token / jwt / id_token;
 * audience, resource and scope narrowing. A subject or actor token it refuses is `invalid_request`
 * (§2.2.2).
 */
import { createLocalJWKSet, decodeJwt, type JWTPayload, jwtVerify } from 'jose'
import { invalidRequest } from '../errors.ts'
import { splitList } from '../http.ts'
import type { ServerState } from '../state.ts'
import { ttl } from '../state.ts'
import { issueAccessToken, issueIdToken, verifyAccessToken, verifyIdToken } from '../tokens.ts'
import { type GrantHandler, narrowScope, requestedAudience, requireParam } from './grant.ts'

export const TOKEN_TYPE = {
  access_token: 'urn:ietf:params:oauth:token-type:access_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  id_token: 'urn:ietf:params:oauth:token-type:id_token',
} as const

interface Subject {
  sub: string
  /** Scope the token carried (undefined for ID tokens and foreign JWTs). */
  scope?: string[]
  act?: unknown
}

async function foreignJwt(state: ServerState, token: string): Promise<JWTPayload | undefined> {
  let iss: string | undefined
  try {
    iss = decodeJwt(token).iss
  } catch {
    return undefined
  }
  const trusted = state.trustedIssuers.find((t) => t.issuer === iss && t.jwks)
  if (!trusted?.jwks) return undefined
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(trusted.jwks), {
      issuer: iss,
      requiredClaims: ['sub', 'exp'],
      currentDate: new Date(state.now() * 1000),
    })
    return payload
  } catch {
    return undefined
  }
}

/** Validates a subject or actor token of the given type. */
async function readToken(
  state: ServerState,
  token: string,
  type: string,
  role: 'subject' | 'actor',
): Promise<Subject> {
  const fromAccess = async () => {
    const at = await verifyAccessToken(state, token)
    return at && { sub: at.record.sub, scope: at.record.scope, act: at.claims.act }
  }
  const fromIdToken = async () => {
    const id = await verifyIdToken(state, token)
    return id?.sub ? { sub: id.sub, act: id.act } : undefined
  }
  let subject: Subject | undefined
  if (type === TOKEN_TYPE.access_token) subject = await fromAccess()
  else if (type === TOKEN_TYPE.id_token) subject = await fromIdToken()
  else if (type === TOKEN_TYPE.jwt) {
    subject = (await fromAccess()) ?? (await fromIdToken())
    if (!subject) {
      const foreign = await foreignJwt(state, token)
      if (foreign?.sub) subject = { sub: foreign.sub, act: foreign.act }
    }
  } else {
    throw invalidRequest(`unsupported ${role}_token_type`)
  }
  // RFC 8693 §2.2.2: a subject or actor token that is invalid "for any reason" is
  // `invalid_request` (not `invalid_grant`: the grant is the token exchange itself).
  if (!subject) throw invalidRequest(`${role}_token is invalid, expired or revoked`)
  return subject
}

export const tokenExchangeGrant: GrantHandler = async ({
  state,
  client,
  form,
  jkt,
  x5t,
  grantType,
}) => {
  const subject = await readToken(
    state,
    requireParam(form, 'subject_token'),
    requireParam(form, 'subject_token_type'),
    'subject',
  )
  const actorToken = form.get('actor_token')
  const actorType = form.get('actor_token_type')
  if ((actorToken === null) !== (actorType === null)) {
    throw invalidRequest('actor_token and actor_token_type go together')
  }
  // Present but empty is refused, not ignored: a delegation must not become an impersonation.
  const actor =
    actorToken === null
      ? undefined
      : await readToken(state, requireParam(form, 'actor_token'), actorType!, 'actor')
  const requested = form.get('requested_token_type') ?? TOKEN_TYPE.access_token
  if (
    !Object.values(TOKEN_TYPE).includes(requested as (typeof TOKEN_TYPE)[keyof typeof TOKEN_TYPE])
  ) {
    throw invalidRequest('unsupported requested_token_type')
  }
  const audience = requestedAudience(client, form)
  const clientScope = splitList(client.scope)
  const allowed = subject.scope ? subject.scope.filter((s) => clientScope.includes(s)) : clientScope
  const scope = narrowScope(
    form.get('scope'),
    allowed,
    (subject.scope ?? []).filter((s) => clientScope.includes(s)),
  )
  const extraClaims: Record<string, unknown> = {}
  if (actor) {
    extraClaims.act = subject.act ? { sub: actor.sub, act: subject.act } : { sub: actor.sub }
  } else if (subject.act) {
    extraClaims.act = subject.act
  }

  if (requested === TOKEN_TYPE.id_token) {
    const idToken = await issueIdToken(state, {
      client,
      sub: subject.sub,
      scope,
      audience: audience.length ? audience : undefined,
      extraClaims,
      channel: 'token',
      grantType,
    })
    return {
      access_token: idToken,
      issued_token_type: TOKEN_TYPE.id_token,
      token_type: 'N_A',
      expires_in: ttl(state).idToken,
    }
  }
  const issued = await issueAccessToken(state, {
    client,
    sub: subject.sub,
    scope,
    jkt,
    x5t,
    audience,
    extraClaims,
  })
  return {
    access_token: issued.token,
    issued_token_type: requested,
    token_type: jkt ? 'DPoP' : 'Bearer',
    expires_in: issued.expiresIn,
    scope: scope.join(' '),
  }
}
