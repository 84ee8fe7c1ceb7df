/** The UserInfo endpoint (OIDC Core §5.3): GET and POST, Bearer and DPoP, with its faults. */
import type { Hono } from 'hono'
import { SignJWT } from 'jose'
import { claimsForScope } from '../claims.ts'
import { type AppEnv, readForm } from '../http.ts'
import { authenticateResource, challenge } from '../resource-auth.ts'
import { findUser, type ServerState } from '../state.ts'

export function registerUserinfo(app: Hono<AppEnv>, state: ServerState): void {
  app.on(['GET', 'POST'], '/userinfo', async (c) => {
    let formToken: string | undefined
    if (c.req.method === 'POST' && c.req.header('content-type')) {
      const form = await readForm(c).catch(() => undefined)
      formToken = form?.get('access_token') ?? undefined
    }
    const auth = await authenticateResource(state, c, { formToken })
    if (!auth.ok) return auth.response
    c.get('log').clientId = auth.record.clientId
    const user = findUser(state, auth.record.sub)
    if (!user) return challenge(c, 401, auth.scheme, 'invalid_token', 'the token has no end-user')
    if (!auth.record.scope.includes('openid')) {
      return challenge(c, 403, auth.scheme, 'insufficient_scope', 'the openid scope is required')
    }
    const body: Record<string, unknown> = {
      sub: user.sub,
      ...claimsForScope(user, auth.record.scope),
    }
    const fault = state.faults.userinfo()
    if (fault?.sub !== undefined) body.sub = fault.sub
    c.header('Cache-Control', 'no-store')
    const registered = state.clients.get(auth.record.clientId)?.userinfo_signed_response_alg
    const signed =
      (registered !== undefined || fault?.signed || fault?.badSignature) && !fault?.plain
    if (signed) {
      const key = state.keys.current(fault?.alg ?? registered ?? 'RS256')
      const now = state.now()
      let jwt = await new SignJWT({
        ...body,
        iss: state.issuer,
        aud: auth.record.clientId,
        iat: now,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid })
        .sign(key.privateKey)
      if (fault?.badSignature) {
        const other = await new SignJWT({ ...body, iss: state.issuer, aud: 'other', iat: now })
          .setProtectedHeader({ alg: key.alg, kid: key.kid })
          .sign(key.privateKey)
        jwt = `${jwt.split('.').slice(0, 2).join('.')}.${other.split('.')[2]}`
      }
      return c.body(jwt, 200, { 'Content-Type': 'application/jwt' })
    }
    return c.json(body)
  })
}
