/**
 * OpenID Connect Back-Channel Logout 1.0: when a session ends, every client with a
 * `backchannel_logout_uri` that was given a live grant in that session gets a logout token.
 */
import { SignJWT } from 'jose'
import { randomId } from './crypto-utils.ts'
import type { ServerState, Session } from './state.ts'

const EVENT = 'http://schemas.openid.net/event/backchannel-logout'
const TIMEOUT_MS = 5000

/** Builds the logout token for `clientId` (typ logout+jwt, §2.4). */
export async function logoutToken(
  state: ServerState,
  clientId: string,
  session: Session,
): Promise<string> {
  const key = state.keys.current('RS256')
  const now = state.now()
  return new SignJWT({
    iss: state.issuer,
    aud: clientId,
    iat: now,
    exp: now + 120,
    jti: randomId(16),
    sub: session.sub,
    sid: session.sid,
    events: { [EVENT]: {} },
  })
    .setProtectedHeader({ alg: key.alg, typ: 'logout+jwt', kid: key.kid })
    .sign(key.privateKey)
}

/** Notifies the clients of the user's live grants; failures are logged, never thrown. */
export async function notifyBackchannelLogout(state: ServerState, session: Session): Promise<void> {
  const clientIds = new Set<string>()
  for (const grant of state.grants.values()) {
    if (!grant.revoked && grant.sid === session.sid) clientIds.add(grant.clientId)
  }
  await Promise.allSettled(
    [...clientIds].map(async (clientId) => {
      const uri = state.clients.get(clientId)?.backchannel_logout_uri
      if (!uri) return
      try {
        const res = await fetch(uri, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: await logoutToken(state, clientId, session) }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        })
        if (!res.ok && state.options.log) {
          console.log(`back-channel logout to ${clientId} answered ${res.status}`)
        }
      } catch (err) {
        if (state.options.log) {
          console.log(`back-channel logout to ${clientId} failed: ${(err as Error).message}`)
        }
      }
    }),
  )
}
