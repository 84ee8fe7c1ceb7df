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

/**
 * The RFC 8707 `resource` values of a code or refresh token request, checked against the grant
 * (§2.2): each one must be among `granted`, the resources the grant was given for. `granted`
 * `undefined` stands for a grant whose authorization request named none: then any resource
 * the client may request (`allowed_audiences`) goes, and becomes the grant's. A refused value
 * is `invalid_target` (§2).
 *
 * Returns the access token's audience (the requested resources, or all of the grant's when none
 * is requested) and the grant's resources, which the new refresh token keeps.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
 */
export function grantedResources(
  client: ClientConfig,
  form: URLSearchParams,
  granted: string[] | undefined,
): { audience: string[]; grant: string[] } {
  const requested = [...new Set(form.getAll('resource'))]
  const allowed = granted ?? client.allowed_audiences ?? []
  for (const r of requested) {
    if (!allowed.includes(r)) {
      throw new OAuthHttpError(
        'invalid_target',
        granted === undefined
          ? `resource not allowed for this client: ${r}`
          : `resource not part of the grant: ${r}`,
      )
    }
  }
  const grant = granted ?? requested
  return { audience: requested.length ? requested : grant, grant }
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
