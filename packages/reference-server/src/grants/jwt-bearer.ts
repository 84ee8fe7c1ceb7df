/**
 * The JWT bearer grant (RFC 7523 §2.1, §3): the assertion is signed by a trusted issuer (or by
 * the client itself with its registered keys); iss, sub, aud, exp and jti are checked and the
 * jti is single use.
 */
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify } from 'jose'
import { invalidGrant } from '../errors.ts'
import { splitList } from '../http.ts'
import { rememberJti } from '../state.ts'
import { tokenResponse } from '../tokens.ts'
import { type GrantHandler, narrowScope, requestedAudience, requireParam } from './grant.ts'

const USER_ONLY = ['openid', 'offline_access']

export const jwtBearerGrant: GrantHandler = async ({
  state,
  client,
  form,
  jkt,
  x5t,
  grantType,
}) => {
  const assertion = requireParam(form, 'assertion')
  let iss: string | undefined
  try {
    iss = decodeJwt(assertion).iss
  } catch {
    throw invalidGrant('assertion is not a JWT')
  }
  const trusted = state.trustedIssuers.find((t) => t.issuer === iss && t.jwks)
  const keys = trusted?.jwks ?? (iss === client.client_id && client.jwks ? client.jwks : undefined)
  if (!keys) throw invalidGrant('assertion issuer is not trusted')
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload']
  try {
    ;({ payload } = await jwtVerify(assertion, createLocalJWKSet(keys), {
      issuer: iss,
      audience: [state.issuer, `${state.issuer}/token`],
      requiredClaims: ['sub', 'exp', 'jti'],
      algorithms: ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'],
      currentDate: new Date(state.now() * 1000),
      clockTolerance: 5,
    }))
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) throw invalidGrant(`assertion rejected: ${err.code}`)
    throw err
  }
  if (payload.exp! - state.now() > 3600) throw invalidGrant('assertion lives too long')
  if (!rememberJti(state, `jwt-bearer ${iss} ${payload.jti}`, payload.exp!)) {
    throw invalidGrant('assertion jti was already used')
  }
  const allowed = splitList(client.scope).filter((s) => !USER_ONLY.includes(s))
  const scope = narrowScope(form.get('scope'), allowed, [])
  return tokenResponse(state, {
    client,
    sub: payload.sub!,
    scope,
    grantType,
    jkt,
    x5t,
    audience: requestedAudience(client, form),
  })
}
