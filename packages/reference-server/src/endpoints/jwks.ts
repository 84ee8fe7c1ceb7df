/** The JWKS endpoint: current and previous public signing keys (RS256, ES256). */
import type { Hono } from 'hono'
import type { AppEnv } from '../http.ts'
import type { ServerState } from '../state.ts'

export function registerJwks(app: Hono<AppEnv>, state: ServerState): void {
  app.get('/jwks', (c) => {
    c.header('Cache-Control', 'no-cache')
    c.header('Content-Type', 'application/jwk-set+json')
    return c.body(JSON.stringify(state.keys.jwks()))
  })
}
