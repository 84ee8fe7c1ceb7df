/** The login page (GET shows the form, POST checks the test user's password). */
import type { Hono } from 'hono'
import { safeEqual } from '../crypto-utils.ts'
import { type AppContext, type AppEnv, readForm } from '../http.ts'
import { loginPage } from '../pages.ts'
import { getCookie } from 'hono/cookie'
import { BROWSER_COOKIE, startSession } from '../session.ts'
import type { Interaction, ServerState } from '../state.ts'
import { continueAuthorization, showError } from './authorize.ts'

const INTERACTION_TTL = 600

/** An interaction still in progress, or undefined. */
export function findInteraction(state: ServerState, c: AppContext, id: string | null | undefined) {
  const interaction = id ? state.interactions.get(id) : undefined
  if (!interaction || getCookie(c, BROWSER_COOKIE) !== interaction.browserId) return undefined
  if (state.now() - interaction.createdAt > INTERACTION_TTL) {
    state.interactions.delete(interaction.id)
    return undefined
  }
  return interaction
}

/** Pages must not be framed, except the prompt=none path which never shows one. */
export function noFraming(c: AppContext): void {
  c.header('X-Frame-Options', 'DENY')
  c.header('Content-Security-Policy', "frame-ancestors 'none'")
  c.header('Cache-Control', 'no-store')
}

function clientName(state: ServerState, interaction: Interaction): string {
  const client = state.clients.get(interaction.clientId)
  return client?.client_name ?? interaction.clientId
}

export function registerLogin(app: Hono<AppEnv>, state: ServerState): void {
  app.get('/login', (c) => {
    const interaction = findInteraction(state, c, c.req.query('interaction'))
    if (!interaction) return showError(c, 'invalid_request', 'unknown or expired login request')
    noFraming(c)
    return c.html(
      loginPage({
        interaction: interaction.id,
        clientName: clientName(state, interaction),
        loginHint: interaction.request?.loginHint,
        userCode: interaction.userCode,
      }),
    )
  })

  app.post('/login', async (c) => {
    const form = await readForm(c).catch(() => undefined)
    const interaction = findInteraction(state, c, form?.get('interaction'))
    if (!form || !interaction) {
      return showError(c, 'invalid_request', 'unknown or expired login request')
    }
    const username = form.get('username') ?? ''
    const user = state.users.find((u) => u.username === username)
    const ok = user !== undefined && (await safeEqual(form.get('password') ?? '', user.password))
    noFraming(c)
    if (!ok || !user) {
      return c.html(
        loginPage({
          interaction: interaction.id,
          clientName: clientName(state, interaction),
          loginHint: username,
          userCode: interaction.userCode,
          error: 'Wrong username or password.',
        }),
        401,
      )
    }
    const session = startSession(state, c, user.sub)
    interaction.loggedIn = true
    if (interaction.kind === 'device') {
      state.interactions.delete(interaction.id)
      return c.redirect(`/device?user_code=${encodeURIComponent(interaction.userCode ?? '')}`, 303)
    }
    return continueAuthorization(state, c, interaction, session)
  })
}
