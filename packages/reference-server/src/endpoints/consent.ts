/** The consent page: the user allows or denies the scopes a client asks for. */
import type { Hono } from 'hono'
import { deliverError } from '../authorization-response.ts'
import { type AppEnv, readForm } from '../http.ts'
import { consentPage } from '../pages.ts'
import { getSession } from '../session.ts'
import type { ServerState } from '../state.ts'
import { continueAuthorization, showError } from './authorize.ts'
import { findInteraction, noFraming } from './login.ts'

export function registerConsent(app: Hono<AppEnv>, state: ServerState): void {
  app.get('/consent', (c) => {
    const interaction = findInteraction(state, c, c.req.query('interaction'))
    if (!interaction?.request) {
      return showError(c, 'invalid_request', 'unknown or expired consent request')
    }
    if (!getSession(state, c)) {
      return c.redirect(`/login?interaction=${encodeURIComponent(interaction.id)}`, 303)
    }
    const client = state.clients.get(interaction.clientId)!
    noFraming(c)
    return c.html(
      consentPage({
        interaction: interaction.id,
        clientName: client.client_name ?? client.client_id,
        scopes: interaction.request.scope,
      }),
    )
  })

  app.post('/consent', async (c) => {
    const form = await readForm(c).catch(() => undefined)
    const interaction = findInteraction(state, c, form?.get('interaction'))
    const session = getSession(state, c)
    if (!form || !interaction?.request || !session) {
      return showError(c, 'invalid_request', 'unknown or expired consent request')
    }
    const request = interaction.request
    const decision = form.get('decision')
    if (decision !== 'approve') {
      state.interactions.delete(interaction.id)
      const target = {
        redirectUri: request.redirectUri,
        responseMode: request.responseMode,
        state: request.state,
      }
      return deliverError(state, c, target, 'access_denied', 'the user denied the request')
    }
    const key = `${session.sub} ${interaction.clientId}`
    const granted = state.consents.get(key) ?? new Set<string>()
    for (const s of request.scope) granted.add(s)
    state.consents.set(key, granted)
    interaction.consented = true
    return continueAuthorization(state, c, interaction, session)
  })
}
