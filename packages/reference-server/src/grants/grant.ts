/** What a grant handler receives, and scope helpers shared by the grants. */
import { OAuthHttpError } from '../errors.ts'
import type { AppContext } from '../http.ts'
import { splitList } from '../http.ts'
import type { ServerState } from '../state.ts'
import type { ClientConfig } from '../types.ts'

export interface GrantContext {
  state: ServerState
  c: AppContext
  client: ClientConfig
  form: URLSearchParams
  grantType: string
  /** Thumbprint of the request's valid DPoP proof key, if any. */
  jkt?: string
  /**
   * `x5t#S256` of the client certificate when the client gets certificate-bound access tokens
   * (RFC 8705 §3).
   */
  x5t?: string
}

/** Handles one grant type at the token endpoint; returns the JSON answer. */
export type GrantHandler = (ctx: GrantContext) => Promise<Record<string, unknown>>

/**
 * The scope to grant: the requested one if every value is in `allowed` (else `invalid_scope`),
 * or `fallback` when no scope is requested.
 */
export function narrowScope(
  requested: string | null,
  allowed: string[],
  fallback: string[] = allowed,
): string[] {
  if (requested === null) return fallback
  const scope = splitList(requested)
  const refused = scope.filter((s) => !allowed.includes(s))
  if (refused.length) {
    throw new OAuthHttpError('invalid_scope', `scope not allowed: ${refused.join(' ')}`)
  }
  return scope
}

/** The requested `audience` and `resource` values, each one allowed for the client (RFC 8707). */
export function requestedAudience(client: ClientConfig, form: URLSearchParams): string[] {
  const values = [...form.getAll('audience'), ...form.getAll('resource')]
  for (const v of values) {
    if (!(client.allowed_audiences ?? []).includes(v)) {
      throw new OAuthHttpError('invalid_target', `audience not allowed for this client: ${v}`)
    }
  }
  return [...new Set(values)]
}

/** Refresh tokens go only to clients registered for the refresh_token grant, with offline_access. */
export function wantsRefresh(client: ClientConfig, scope: string[]): boolean {
  return scope.includes('offline_access') && client.grant_types.includes('refresh_token')
}

export function requireParam(form: URLSearchParams, name: string): string {
  const value = form.get(name)
  if (!value) throw new OAuthHttpError('invalid_request', `${name} is required`)
  return value
}
