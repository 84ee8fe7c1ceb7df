/** The browser session at the provider: a random id in a SameSite=Lax, HttpOnly cookie. */
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { randomId } from './crypto-utils.ts'
import type { AppContext } from './http.ts'
import type { ServerState, Session } from './state.ts'

export const SESSION_COOKIE = 'openrp_session'

export function getSession(state: ServerState, c: AppContext): Session | undefined {
  const id = getCookie(c, SESSION_COOKIE)
  return id ? state.sessions.get(id) : undefined
}

/** Starts a new session (a new id on every login) and sets the cookie. */
export function startSession(state: ServerState, c: AppContext, sub: string): Session {
  const old = getCookie(c, SESSION_COOKIE)
  if (old) state.sessions.delete(old)
  const session: Session = {
    id: randomId(24),
    sid: randomId(16),
    sub,
    authTime: state.now(),
    acr: ACR_DEFAULT,
  }
  state.sessions.set(session.id, session)
  // SameSite=Lax: 127.0.0.1:4000 and :4001 are the same site, so silent renew in an iframe works.
  setCookie(c, SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'Lax', path: '/' })
  return session
}

/** A per-browser id (cookie) that login and consent steps must come back with. */
export const BROWSER_COOKIE = 'openrp_browser'

/** The browser's id, set on first use. Interactions are bound to it (no login CSRF). */
export function browserId(c: AppContext): string {
  const existing = getCookie(c, BROWSER_COOKIE)
  if (existing && /^[A-Za-z0-9_-]{16,64}$/.test(existing)) return existing
  const id = randomId(16)
  setCookie(c, BROWSER_COOKIE, id, { httpOnly: true, sameSite: 'Lax', path: '/' })
  return id
}

export function endSession(state: ServerState, c: AppContext): void {
  const id = getCookie(c, SESSION_COOKIE)
  if (id) state.sessions.delete(id)
  deleteCookie(c, SESSION_COOKIE, { path: '/' })
}

/** Authentication context class references the server knows (password login only). */
export const ACR_VALUES = ['urn:openrp:loa:1', 'urn:openrp:loa:2']
export const ACR_DEFAULT = 'urn:openrp:loa:1'

/** The acr to claim: the first requested value the server supports, else the default. */
export function chooseAcr(requested: string[]): string {
  return requested.find((v) => ACR_VALUES.includes(v)) ?? ACR_DEFAULT
}
