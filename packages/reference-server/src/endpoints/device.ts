/**
 * The user-code page (RFC 8628 §3.3): the user enters the code, logs in, approves or denies.
 * Wrong codes are counted per source address; past `deviceUserCodeAttempts` of them within a
 * device code's lifetime, code entries from that address are refused with 429 (§5.1).
 */
import type { Hono } from 'hono'
import { decideDevice, normalizeUserCode } from '../control.ts'
import { randomId } from '../crypto-utils.ts'
import { type AppContext, type AppEnv, readForm, remoteAddress } from '../http.ts'
import { deviceConfirmPage, deviceEntryPage, deviceRateLimitedPage, messagePage } from '../pages.ts'
import { browserId, getSession } from '../session.ts'
import type { ServerState } from '../state.ts'
import { noFraming } from './login.ts'

/** The 429 page for a source that entered too many wrong codes, or undefined when it may try. */
function rateLimited(state: ServerState, c: AppContext): Response | Promise<Response> | undefined {
  const retryAfterSec = state.userCodeAttempts.retryAfter(remoteAddress(c), state.shiftedNowMs())
  if (retryAfterSec === 0) return undefined
  c.header('Retry-After', String(retryAfterSec))
  c.header('Cache-Control', 'no-store')
  return c.html(deviceRateLimitedPage({ retryAfterSec }), 429)
}

/** Counts a wrong code entered by the request's source. */
function wrongCode(state: ServerState, c: AppContext): void {
  state.userCodeAttempts.fail(remoteAddress(c), state.shiftedNowMs())
}

function pendingDevice(state: ServerState, raw: string) {
  const code = normalizeUserCode(raw)
  for (const record of state.devices.values()) {
    if (
      record.userCode === code &&
      record.status === 'pending' &&
      record.expiresAt >= state.now()
    ) {
      return record
    }
  }
  return undefined
}

export function registerDevice(app: Hono<AppEnv>, state: ServerState): void {
  app.get('/device', (c) => {
    noFraming(c)
    const raw = c.req.query('user_code')
    if (!raw) return c.html(deviceEntryPage({}))
    const limited = rateLimited(state, c)
    if (limited) return limited
    const record = pendingDevice(state, raw)
    if (!record) {
      wrongCode(state, c)
      return c.html(deviceEntryPage({ error: 'Unknown or expired code.', userCode: raw }), 400)
    }
    c.get('log').userCode = record.userCode
    if (!getSession(state, c)) {
      const id = randomId(24)
      state.interactions.set(id, {
        id,
        kind: 'device',
        browserId: browserId(c),
        clientId: record.clientId,
        userCode: record.userCode,
        createdAt: state.now(),
      })
      return c.redirect(`/login?interaction=${encodeURIComponent(id)}`, 303)
    }
    const client = state.clients.get(record.clientId)!
    return c.html(
      deviceConfirmPage({
        userCode: record.userCode,
        clientName: client.client_name ?? client.client_id,
        scopes: record.scope,
      }),
    )
  })

  app.post('/device', async (c) => {
    noFraming(c)
    const form = await readForm(c).catch(() => undefined)
    const code = form?.get('user_code') ?? ''
    if (code !== '') {
      const limited = rateLimited(state, c)
      if (limited) return limited
    }
    const session = getSession(state, c)
    const record = code !== '' ? pendingDevice(state, code) : undefined
    if (!record || !session) {
      // Without a session this form is never a user's (it is shown after login): a guess too.
      if (code !== '') wrongCode(state, c)
      return c.html(deviceEntryPage({ error: 'Unknown or expired code.' }), 400)
    }
    c.get('log').userCode = record.userCode
    if (form?.get('decision') === 'approve') {
      decideDevice(state, record.userCode, { sub: session.sub })
      return c.html(messagePage('Device connected', 'You can return to your device.'))
    }
    decideDevice(state, record.userCode, 'deny')
    return c.html(messagePage('Request denied', 'The device was not connected.'))
  })
}
