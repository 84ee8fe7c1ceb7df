/**
 * Access tokens (RFC 9068 JWTs, `typ: at+jwt`), refresh tokens (opaque, rotated) and ID tokens
 * (with at_hash / c_hash / s_hash and the ID-token faults).
 */
import { type JWTPayload, jwtVerify, SignJWT, UnsecuredJWT } from 'jose'
import { claimsForScope } from './claims.ts'
import { halfHash, randomId } from './crypto-utils.ts'
import { generateSigningKey, type SigningAlg, type SigningKey } from './keys.ts'
import { type AccessTokenRecord, findUser, type ServerState, ttl } from './state.ts'
import type { ClientConfig } from './types.ts'

/**
 * A key no server publishes (no key ring ever holds it), one per alg for the process: generating
 * an RSA key for every such token was most of the CPU of the tests that ask for them.
 */
const unlistedKeys = new Map<SigningAlg, Promise<SigningKey>>()
function unlistedKey(alg: SigningAlg): Promise<SigningKey> {
  let key = unlistedKeys.get(alg)
  if (!key) {
    key = generateSigningKey(alg)
    unlistedKeys.set(alg, key)
  }
  return key
}

export interface AccessTokenParams {
  client: ClientConfig
  sub: string
  scope: string[]
  grantId?: string
  /** DPoP key thumbprint: the token gets `cnf.jkt`. */
  jkt?: string
  /** Client certificate thumbprint (RFC 8705 §3.1): the token gets `cnf["x5t#S256"]`. */
  x5t?: string
  audience?: string[]
  authTime?: number
  acr?: string
  extraClaims?: Record<string, unknown>
}

/** Issues an RFC 9068 JWT access token and records it (for revocation and introspection). */
export async function issueAccessToken(
  state: ServerState,
  p: AccessTokenParams,
): Promise<{ token: string; expiresIn: number; claims: JWTPayload }> {
  const now = state.now()
  const expiresIn = p.client.access_token_ttl ?? ttl(state).accessToken
  const jti = randomId(16)
  const aud = p.audience?.length ? p.audience : [state.issuer]
  const claims: JWTPayload = {
    ...p.extraClaims,
    iss: state.issuer,
    sub: p.sub,
    aud: aud.length === 1 ? aud[0] : aud,
    client_id: p.client.client_id,
    iat: now,
    exp: now + expiresIn,
    jti,
    scope: p.scope.join(' '),
  }
  if (p.authTime !== undefined) claims.auth_time = p.authTime
  if (p.acr) claims.acr = p.acr
  if (p.jkt || p.x5t)
    claims.cnf = { ...(p.jkt && { jkt: p.jkt }), ...(p.x5t && { 'x5t#S256': p.x5t }) }
  const key = state.keys.current('RS256')
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
    .sign(key.privateKey)
  const record: AccessTokenRecord = {
    jti,
    grantId: p.grantId,
    clientId: p.client.client_id,
    sub: p.sub,
    scope: p.scope,
    expiresAt: now + expiresIn,
    revoked: false,
    jkt: p.jkt,
  }
  state.accessTokens.set(jti, record)
  return { token, expiresIn, claims }
}

/** Verifies an access token of this server: signature, typ, iss, exp, not revoked. */
export async function verifyAccessToken(
  state: ServerState,
  token: string,
): Promise<{ claims: JWTPayload; record: AccessTokenRecord } | undefined> {
  try {
    const { payload } = await jwtVerify(token, state.keys.verifier(), {
      issuer: state.issuer,
      typ: 'at+jwt',
      algorithms: ['RS256', 'ES256'],
      currentDate: new Date(state.now() * 1000),
    })
    const record = payload.jti ? state.accessTokens.get(payload.jti) : undefined
    if (!record || record.revoked) return undefined
    if (record.grantId && state.grants.get(record.grantId)?.revoked) return undefined
    return { claims: payload, record }
  } catch {
    return undefined
  }
}

/** Starts a grant (the family of tokens born from one authorization). */
export function newGrant(state: ServerState, clientId: string, sub: string, sid?: string): string {
  const id = randomId(16)
  state.grants.set(id, { id, clientId, sub, sid, revoked: false })
  return id
}

/** Revokes a grant: every access and refresh token of the family stops working. */
export function revokeGrant(state: ServerState, grantId: string): void {
  const grant = state.grants.get(grantId)
  if (grant) grant.revoked = true
  for (const record of state.accessTokens.values()) {
    if (record.grantId === grantId) record.revoked = true
  }
}

export interface IdTokenParams {
  client: ClientConfig
  sub: string
  scope: string[]
  nonce?: string
  authTime?: number
  acr?: string
  accessToken?: string
  code?: string
  state?: string
  sid?: string
  channel: 'authorization' | 'token'
  grantType?: string
  audience?: string[]
  extraClaims?: Record<string, unknown>
  /**
   * Put the user's claims of `scope` (profile, email...) in the token. Only for
   * `response_type=id_token`, where no access token reaches userinfo (OpenID Connect Core §5.4);
   * otherwise they are served by userinfo alone.
   */
  userClaims?: boolean
}

/** Issues an ID token, spoiled as the active `idToken` fault says. */
export async function issueIdToken(state: ServerState, p: IdTokenParams): Promise<string> {
  const now = state.now()
  const user = findUser(state, p.sub)
  const aud = p.audience?.length ? p.audience : [p.client.client_id]
  const payload: JWTPayload & Record<string, unknown> = {
    ...(user && p.userClaims ? claimsForScope(user, p.scope) : {}),
    ...p.extraClaims,
    iss: state.issuer,
    sub: p.sub,
    aud: aud.length === 1 ? aud[0] : aud,
    exp: now + ttl(state).idToken,
    iat: now,
  }
  if (aud.length > 1) payload.azp = p.client.client_id
  if (p.authTime !== undefined) payload.auth_time = p.authTime
  if (p.nonce !== undefined) payload.nonce = p.nonce
  if (p.acr) payload.acr = p.acr
  if (p.sid) payload.sid = p.sid
  if (p.accessToken) payload.at_hash = await halfHash(p.accessToken)
  if (p.code) payload.c_hash = await halfHash(p.code)
  if (p.state !== undefined) payload.s_hash = await halfHash(p.state)

  const fault = state.faults.idToken(p.channel, p.grantType)
  const alg = p.client.id_token_signed_response_alg ?? 'RS256'
  if (!fault) {
    const key = state.keys.current(alg)
    return new SignJWT(payload)
      .setProtectedHeader({ alg, typ: 'JWT', kid: key.kid })
      .sign(key.privateKey)
  }

  const set = (name: string, value: unknown) => {
    if (value === undefined) return
    if (value === null) delete payload[name]
    else payload[name] = value
  }
  const offset = (name: string, value: number | null | undefined) =>
    set(name, value === null ? null : value === undefined ? undefined : now + value)
  const wrongHash = async (value: 'wrong' | null | undefined) =>
    value === 'wrong' ? halfHash(`wrong-${randomId(8)}`) : value
  set('iss', fault.iss)
  set('aud', fault.aud)
  set('azp', fault.azp)
  set('sub', fault.sub)
  set('nonce', fault.nonce)
  offset('exp', fault.expOffset)
  offset('iat', fault.iatOffset)
  offset('auth_time', fault.authTimeOffset)
  set('at_hash', await wrongHash(fault.atHash))
  set('c_hash', await wrongHash(fault.cHash))
  set('s_hash', await wrongHash(fault.sHash))

  if (fault.alg === 'none') return new UnsecuredJWT(payload).encode()
  if (fault.alg === 'HS256') {
    const secret = new TextEncoder().encode(p.client.client_secret ?? randomId())
    return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret)
  }
  // An alg the server supports but the client did not register (FAPI "alternate alg" test).
  const signAlg = fault.alg === 'RS256' || fault.alg === 'ES256' ? fault.alg : alg
  const key = fault.unlistedKey ? await unlistedKey(signAlg) : state.keys.current(signAlg)
  const kid =
    fault.kid === 'missing'
      ? undefined
      : fault.kid === 'unknown'
        ? `unknown-${randomId(6)}`
        : key.kid
  const sign = (claims: JWTPayload) =>
    new SignJWT(claims).setProtectedHeader({ alg: signAlg, typ: 'JWT', kid }).sign(key.privateKey)
  const jwt = await sign(payload)
  if (!fault.badSignature) return jwt
  // A signature of other claims by the same key: well-formed, and wrong for this token.
  const other = await sign({ ...payload, jti: randomId(8) })
  return `${jwt.split('.').slice(0, 2).join('.')}.${other.split('.')[2]}`
}

export interface TokenResponseParams {
  client: ClientConfig
  sub: string
  scope: string[]
  grantType: string
  grantId?: string
  jkt?: string
  /** Certificate-bound access token (RFC 8705 §3): `x5t#S256` of the client certificate. */
  x5t?: string
  audience?: string[]
  authTime?: number
  acr?: string
  /** Issue an ID token (with this nonce when given). */
  idToken?: { nonce?: string }
  /** Issue a refresh token in this grant (bound to `refreshJkt` when set). */
  refresh?: boolean
  refreshJkt?: string
  /** Bind the new refresh token to this certificate thumbprint (public clients, RFC 8705 §4). */
  refreshX5t?: string
  /** Scope of the new refresh token when it differs from `scope` (a narrowed refresh). */
  refreshScope?: string[]
  /**
   * The grant's resources (RFC 8707), kept by the new refresh token when they differ from the
   * access token's `audience` (a token narrowed to one of them).
   */
  refreshAudience?: string[]
  /** The provider session (`sid` claim), for code and refresh grants. */
  sid?: string
  extraClaims?: Record<string, unknown>
}

/** Issues the tokens of a successful token request and builds the JSON answer (RFC 6749 §5.1). */
export async function tokenResponse(
  state: ServerState,
  p: TokenResponseParams,
): Promise<Record<string, unknown>> {
  const grantId = p.grantId ?? newGrant(state, p.client.client_id, p.sub)
  const access = await issueAccessToken(state, { ...p, grantId })
  const body: Record<string, unknown> = {
    access_token: access.token,
    token_type: p.jkt ? 'DPoP' : 'Bearer',
    expires_in: access.expiresIn,
    scope: p.scope.join(' '),
  }
  if (p.refresh) {
    const token = randomId(32)
    state.refreshTokens.set(token, {
      token,
      grantId,
      clientId: p.client.client_id,
      sub: p.sub,
      scope: p.refreshScope ?? p.scope,
      expiresAt: state.now() + ttl(state).refreshToken,
      used: false,
      authTime: p.authTime,
      acr: p.acr,
      jkt: p.refreshJkt,
      x5t: p.refreshX5t,
      sid: p.sid,
      audience: p.refreshAudience ?? p.audience,
      extraClaims: p.extraClaims,
    })
    body.refresh_token = token
  }
  if (p.idToken) {
    body.id_token = await issueIdToken(state, {
      client: p.client,
      sub: p.sub,
      scope: p.scope,
      nonce: p.idToken.nonce,
      authTime: p.authTime,
      acr: p.acr,
      accessToken: access.token,
      sid: p.sid,
      channel: 'token',
      grantType: p.grantType,
    })
  }
  return body
}

/** Verifies an ID token this server issued (signature and iss; `exp` unless `allowExpired`). */
export async function verifyIdToken(
  state: ServerState,
  token: string,
  options: { allowExpired?: boolean } = {},
): Promise<JWTPayload | undefined> {
  try {
    const { payload } = await jwtVerify(token, state.keys.verifier(), {
      issuer: state.issuer,
      algorithms: ['RS256', 'ES256'],
      currentDate: new Date(state.now() * 1000),
      clockTolerance: options.allowExpired ? 10 * 365 * 86_400 : 0,
    })
    return payload
  } catch {
    return undefined
  }
}
