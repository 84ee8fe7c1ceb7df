/** The device authorization endpoint (RFC 8628 §3.1–3.2) and its `device` faults. */
import type { Hono } from 'hono'
import { authenticateClient } from '../clients.ts'
import { randomId } from '../crypto-utils.ts'
import { OAuthHttpError, oauthErrorResponse } from '../errors.ts'
import { narrowScope } from '../grants/grant.ts'
import { type AppEnv, readForm, splitList } from '../http.ts'
import { type ServerState, ttl } from '../state.ts'

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/** 8 characters from an alphabet without vowels or look-alikes (RFC 8628 §6.1), as XXXX-XXXX. */
function userCode(): string {
  const alphabet = 'BCDFGHJKLMNPQRSTVWXZ'
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('')
  return `${chars.slice(0, 4)}-${chars.slice(4)}`
}

export function registerDeviceAuthorization(app: Hono<AppEnv>, state: ServerState): void {
  app.post('/device_authorization', async (c) => {
    try {
      const form = await readForm(c)
      const client = await authenticateClient(state, c, form, { allowPublic: true })
      if (!client.grant_types.includes(DEVICE_CODE_GRANT)) {
        throw new OAuthHttpError('unauthorized_client', 'this client may not use the device flow')
      }
      const scope = narrowScope(form.get('scope'), splitList(client.scope))
      const t = ttl(state)
      let code = userCode()
      while ([...state.devices.values()].some((d) => d.userCode === code)) code = userCode()
      const deviceCode = randomId(32)
      state.devices.set(deviceCode, {
        deviceCode,
        userCode: code,
        clientId: client.client_id,
        scope,
        expiresAt: state.now() + t.device,
        interval: t.deviceInterval,
        status: 'pending',
      })
      c.get('log').userCode = code
      const body: Record<string, unknown> = {
        device_code: deviceCode,
        user_code: code,
        verification_uri: `${state.issuer}/device`,
        verification_uri_complete: `${state.issuer}/device?user_code=${encodeURIComponent(code)}`,
        expires_in: t.device,
        interval: t.deviceInterval,
      }
      const fault = state.faults.current.device
      if (fault && 'interval' in fault) body.interval = fault.interval
      if (fault && 'expiresIn' in fault) body.expires_in = fault.expiresIn
      if (fault && 'verificationUriComplete' in fault)
        body.verification_uri_complete = fault.verificationUriComplete
      if (fault && 'verificationUri' in fault) body.verification_uri = fault.verificationUri
      if (fault && 'userCode' in fault) body.user_code = fault.userCode
      c.header('Cache-Control', 'no-store')
      return c.json(body)
    } catch (err) {
      return oauthErrorResponse(c, err)
    }
  })
}
