/** What reached the server: endpoint, status, client and grant type (never secrets or tokens). */
import type { EndpointName, RequestRecord } from './types.ts'

/** The endpoint a path belongs to. */
export function endpointOf(path: string): RequestRecord['endpoint'] {
  const map: Record<string, EndpointName | RequestRecord['endpoint']> = {
    '/.well-known/openid-configuration': 'discovery',
    '/.well-known/oauth-authorization-server': 'discovery',
    '/jwks': 'jwks',
    '/authorize': 'authorize',
    '/par': 'par',
    '/token': 'token',
    '/device_authorization': 'device_authorization',
    '/userinfo': 'userinfo',
    '/introspect': 'introspection',
    '/revoke': 'revocation',
    '/end_session': 'end_session',
    '/login': 'login',
    '/consent': 'consent',
    '/device': 'device',
    '/__control': 'control',
  }
  if (path.startsWith('/api/')) return 'api'
  if (path === '/register' || path.startsWith('/register/')) return 'registration'
  return map[path] ?? 'other'
}

export class RequestLog {
  #records: RequestRecord[] = []
  readonly #print: boolean

  constructor(print = false) {
    this.#print = print
  }

  add(record: RequestRecord): void {
    this.#records.push(record)
    if (this.#print) {
      const who = [
        record.clientId && `client_id=${record.clientId}`,
        record.grantType && `grant_type=${record.grantType}`,
        record.mtls && 'mtls',
      ]
        .filter(Boolean)
        .join(' ')
      console.log(`${record.method} ${record.path} ${record.status} ${who}`.trimEnd())
    }
  }

  list(filter: { endpoint?: RequestRecord['endpoint']; grantType?: string } = {}): RequestRecord[] {
    return this.#records
      .filter((r) => !filter.endpoint || r.endpoint === filter.endpoint)
      .filter((r) => !filter.grantType || r.grantType === filter.grantType)
      .map((r) => ({ ...r }))
  }

  clear(): void {
    this.#records = []
  }
}
