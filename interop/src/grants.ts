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

/** The `act` claim (RFC 8693 §4.1) of tokens issued by a delegation, until they are saved. */
const actors = new WeakMap<object, { sub: string }>()

/**
 * The OP's `extraTokenClaims`: the `act` claim of a token issued by token exchange with an
 * actor token (the OP sets a token's extra claims only through this hook).
 *
 * @example
 * ```ts
 * new Provider(issuer, { extraTokenClaims, ... })
 * ```
 */
export async function extraTokenClaims(
  _ctx: KoaContextWithOIDC,
  token: object,
): Promise<{ act: { sub: string } } | undefined> {
  const act = actors.get(token)
  return act && { act }
}

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
  // RFC 8693 §2.2.2: a subject or actor token refused for any reason is invalid_request.
  const subject = await provider.AccessToken.find(String(params.subject_token))
  if (!subject?.accountId || subject.isExpired)
    throw new errors.InvalidRequest('subject_token is invalid')
  let act: { sub: string } | undefined
  if (params.actor_token !== undefined) {
    if (params.actor_token_type !== ACCESS_TOKEN_TYPE)
      throw new errors.InvalidRequest('unsupported actor_token_type')
    // The actor is a user (an access token) or a service (a client-credentials token).
    const actor =
      (await provider.AccessToken.find(params.actor_token)) ??
      (await provider.ClientCredentials.find(params.actor_token))
    if (!actor || actor.isExpired) throw new errors.InvalidRequest('actor_token is invalid')
    act = {
      sub: 'accountId' in actor && actor.accountId ? actor.accountId : String(actor.clientId),
    }
  }
  ctx.body = {
    ...(await issueAccessToken(provider, ctx, {
      accountId: subject.accountId,
      scope: params.scope ?? subject.scope ?? 'openid',
      gty: 'token_exchange',
      ...(act && { act }),
    })),
    issued_token_type: ACCESS_TOKEN_TYPE,
  }
}

/**
 * An access token of the calling client for `accountId`, under a grant of its own (the OP's
 * userinfo and introspection look the grant up for the token's client).
 */
async function issueAccessToken(
  provider: Provider,
  ctx: KoaContextWithOIDC,
  input: { accountId: string; scope: string; gty: string; act?: { sub: string } },
) {
  const client = ctx.oidc.client
  if (!client) throw new errors.InvalidClient('client authentication failed')
  const grant = new provider.Grant({ accountId: input.accountId, clientId: client.clientId })
  grant.addOIDCScope(input.scope)
  const grantId = await grant.save()
  const token = new provider.AccessToken({
    accountId: input.accountId,
    client,
    grantId,
    scope: input.scope,
    gty: input.gty,
  })
  if (input.act) actors.set(token, input.act)
  return {
    access_token: await token.save(),
    token_type: 'Bearer',
    expires_in: token.expiration,
    scope: input.scope,
  }
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
  ctx.body = await issueAccessToken(provider, ctx, {
    accountId: sub,
    scope: params.scope ?? 'openid',
    gty: 'jwt_bearer',
  })
}
