/**
 * Token exchange (RFC 8693) and JWT bearer (RFC 7523) for node-oidc-provider, which leaves
 * both to the deployment: registered with its `registerGrantType`, issuing the OP's own
 * access tokens.
 *
 * @module
 */
import { importJWK, jwtVerify } from 'jose'
import { errors, type KoaContextWithOIDC, type Provider } from 'oidc-provider'

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'

/** `iss` of the JWT bearer assertions the OP trusts. */
export const ASSERTION_ISSUER = 'urn:openrp:interop-assertion-issuer'

/**
 * Registers both grants. Token exchange takes an access token of this OP as `subject_token`
 * (and, for delegation, another as `actor_token`) and issues an access token for the same
 * user to the calling client. JWT bearer takes an assertion signed with `assertionKey` by
 * {@link ASSERTION_ISSUER}, for the OP as audience, and issues an access token for its `sub`.
 *
 * @example
 * ```ts
 * registerAssertionGrants(provider, assertionIssuerPublicJwk)
 * ```
 */
export function registerAssertionGrants(provider: Provider, assertionKey: JsonWebKey): void {
  provider.registerGrantType(
    TOKEN_EXCHANGE,
    (ctx: KoaContextWithOIDC) => tokenExchange(provider, ctx),
    [
      'subject_token',
      'subject_token_type',
      'actor_token',
      'actor_token_type',
      'requested_token_type',
      'audience',
      'resource',
      'scope',
    ],
  )
  provider.registerGrantType(
    JWT_BEARER,
    (ctx: KoaContextWithOIDC) => jwtBearer(provider, ctx, assertionKey),
    ['assertion', 'scope'],
  )
}

async function tokenExchange(provider: Provider, ctx: KoaContextWithOIDC): Promise<void> {
  const params = ctx.oidc.params as Record<string, string | undefined>
  const client = ctx.oidc.client
  if (!client) throw new errors.InvalidClient('client authentication failed')
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE)
    throw new errors.InvalidRequest('unsupported subject_token_type')
  if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE)
    throw new errors.InvalidRequest('unsupported requested_token_type')
  const subject = await findAccessToken(provider, params.subject_token, 'subject_token')
  let act: { sub: string } | undefined
  if (params.actor_token !== undefined) {
    if (params.actor_token_type !== ACCESS_TOKEN_TYPE)
      throw new errors.InvalidRequest('unsupported actor_token_type')
    const actor = await findAccessToken(provider, params.actor_token, 'actor_token')
    act = { sub: actor.accountId ?? actor.clientId }
  }
  const token = new provider.AccessToken({
    accountId: subject.accountId,
    client,
    grantId: subject.grantId,
    scope: params.scope ?? subject.scope,
    gty: 'token_exchange',
    ...(act && { extra: { act } }),
  })
  const value = await token.save()
  ctx.body = {
    access_token: value,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: token.expiration,
    ...(token.scope && { scope: token.scope }),
  }
}

async function findAccessToken(provider: Provider, value: string | undefined, name: string) {
  const token = value ? await provider.AccessToken.find(value) : undefined
  if (!token || token.isExpired) throw new errors.InvalidGrant(`${name} is invalid`)
  return token
}

async function jwtBearer(
  provider: Provider,
  ctx: KoaContextWithOIDC,
  assertionKey: JsonWebKey,
): Promise<void> {
  const params = ctx.oidc.params as Record<string, string | undefined>
  const client = ctx.oidc.client
  if (!client) throw new errors.InvalidClient('client authentication failed')
  let sub: string
  try {
    const key = await importJWK(assertionKey, 'ES256')
    const { payload } = await jwtVerify(String(params.assertion), key, {
      issuer: ASSERTION_ISSUER,
      audience: [provider.issuer, `${provider.issuer}/token`],
      requiredClaims: ['sub', 'exp'],
    })
    sub = String(payload.sub)
  } catch {
    throw new errors.InvalidGrant('assertion is invalid')
  }
  const scope = params.scope ?? 'openid'
  const grant = new provider.Grant({ accountId: sub, clientId: client.clientId })
  grant.addOIDCScope(scope)
  const grantId = await grant.save()
  const token = new provider.AccessToken({
    accountId: sub,
    client,
    grantId,
    scope,
    gty: 'jwt_bearer',
  })
  const value = await token.save()
  ctx.body = {
    access_token: value,
    token_type: 'Bearer',
    expires_in: token.expiration,
    scope,
  }
}
