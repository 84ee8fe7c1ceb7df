/** Finds what a presented token is: an access token or a refresh token of this server. */
import { decodeJwt } from 'jose'
import type { AccessTokenRecord, RefreshTokenRecord, ServerState } from './state.ts'
import { verifyAccessToken } from './tokens.ts'

export type FoundToken =
  | {
      kind: 'access_token'
      record: AccessTokenRecord
      claims: Record<string, unknown>
      active: boolean
    }
  | { kind: 'refresh_token'; record: RefreshTokenRecord; active: boolean }

export async function lookupToken(
  state: ServerState,
  token: string,
): Promise<FoundToken | undefined> {
  const refresh = state.refreshTokens.get(token)
  if (refresh) {
    const active =
      !refresh.used &&
      refresh.expiresAt > state.now() &&
      !state.grants.get(refresh.grantId)?.revoked
    return { kind: 'refresh_token', record: refresh, active }
  }
  const verified = await verifyAccessToken(state, token)
  if (verified) {
    return { kind: 'access_token', record: verified.record, claims: verified.claims, active: true }
  }
  // Expired or revoked, but ours: still found (revocation of an expired token is a no-op).
  try {
    const jti = decodeJwt(token).jti
    const record = jti ? state.accessTokens.get(jti) : undefined
    if (record) return { kind: 'access_token', record, claims: {}, active: false }
  } catch {
    // not a JWT: unknown token
  }
  return undefined
}
