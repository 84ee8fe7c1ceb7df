/** The user-code page (RFC 8628 §3.3): the user enters the code, logs in, approves or denies. */
import type { Hono } from 'hono'
import { decideDevice, normalizeUserCode } from '../control.ts'
import { randomId } from '../crypto-utils.ts'
import { type AppEnv, readForm } from '../http.ts'
import { deviceConfirmPage, deviceEntryPage, messagePage } from '../pages.ts'
import { browserId, getSession } from '../session.ts'
import type { ServerState } from '../state.ts'
import { noFraming } from './login.ts'

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
    const record = pendingDevice(state, raw)
    if (!record) {
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
    const session = getSession(state, c)
    const record = form ? pendingDevice(state, form.get('user_code') ?? '') : undefined
    if (!record || !session) {
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
