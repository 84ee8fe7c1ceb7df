/**
 * The demo SPA: every way @openrp/browser signs a user in, what it keeps, and an API call.
 * See ../README.md for the data-testid selectors the e2e suite relies on.
 */
import {
  createSpaClient,
  type SpaClient,
  spaUserinfo,
  withHybridAndImplicit,
} from '@openrp/browser'
import { fingerprint, decodeJwt, formatClaims } from './jwt-view.ts'
import { type DemoClientKind, type DemoSettings, loadSettings, saveSettings } from './settings.ts'
import { byTestId, clearError, logEvent, setBusy, setStatus, showError } from './ui.ts'

interface DemoConfig {
  issuer: string
  apiUrl: string
  clients: Record<DemoClientKind, string>
}

declare global {
  interface Window {
    /** The live SpaClient, for tests and curious developers (devtools: `openrpDemo.spa`). */
    openrpDemo?: { spa: SpaClient; settings: DemoSettings; config: DemoConfig }
  }
}

const origin = window.location.origin
let settings = loadSettings()
let config: DemoConfig
let spa: SpaClient
let countdown: ReturnType<typeof setInterval> | undefined

function makeClient(kind: DemoClientKind): SpaClient {
  return createSpaClient({
    issuer: config.issuer,
    clientId: config.clients[kind],
    redirectUri: `${origin}/`,
    popupRedirectUri: `${origin}/popup-callback.html`,
    silentRedirectUri: `${origin}/silent-callback.html`,
    postLogoutRedirectUri: `${origin}/`,
    scope: `openid profile email${settings.refreshTokens ? ' offline_access' : ''} api:read`,
    store: settings.store,
    dpop: settings.dpop,
    ...(settings.popupOpenerSevered && { popup: { openerSevered: true, timeoutMs: 60_000 } }),
    // The user's name and email come from userinfo (conformant providers keep them out of the
    // ID token of the code flow); every login fetches them, getUser() returns them merged.
    userinfo: spaUserinfo,
    // The legacy client signs in with hybrid and implicit responses too.
    ...(kind === 'legacy' && { hybridAndImplicit: withHybridAndImplicit }),
  })
}

/**
 * `prompt=consent` with `offline_access`: OpenID Connect Core §11 providers (node-oidc-provider,
 * the reference server) issue a refresh token only then.
 */
function consentForRefreshTokens(): { prompt?: string } {
  return settings.refreshTokens ? { prompt: 'consent' } : {}
}

function useClient(kind: DemoClientKind): SpaClient {
  if (settings.client !== kind || !spa) {
    settings = { ...settings, client: kind }
    saveSettings(settings)
    spa?.close()
    spa = makeClient(kind)
    subscribe(spa)
    window.openrpDemo = { spa, settings, config }
  }
  return spa
}

function subscribe(client: SpaClient): void {
  client.on('login', () => {
    logEvent('login')
    void render()
  })
  client.on('logout', () => {
    logEvent('logout')
    void render()
  })
  client.on('refreshed', () => {
    logEvent('refreshed')
    void render()
  })
  client.on('expired', () => {
    logEvent('expired: the session ended, sign in again')
    void render()
  })
  client.on('error', (error) => {
    logEvent(`error ${error.code}`)
  })
}

/** Bumped by every render(): an older render still awaiting gives way to the newer one. */
let renders = 0

async function render(): Promise<void> {
  const generation = ++renders
  const current = () => generation === renders
  const signedIn = await spa.isAuthenticated()
  if (!current()) return
  byTestId('signed-out-panel').hidden = signedIn
  byTestId('signed-in-panel').hidden = !signedIn
  setStatus(signedIn ? 'signed-in' : 'signed-out')
  if (countdown) clearInterval(countdown)
  countdown = undefined
  if (!signedIn) return
  const tokens = await spa.getTokenSet()
  if (!tokens || !current()) return
  const user: Record<string, unknown> = (await spa.getUser()) ?? {}
  if (!current()) return
  byTestId('user-name').textContent = String(user.name ?? user.preferred_username ?? user.sub ?? '')
  byTestId('user-sub').textContent = String(user.sub ?? '')
  byTestId('client-id').textContent = config.clients[settings.client]
  byTestId('token-type').textContent =
    tokens.tokenType === 'DPoP' ? 'DPoP-bound token' : `${tokens.tokenType} token`
  renderClaims(user)
  renderJwt('id-token', tokens.idToken)
  renderJwt('access-token', tokens.accessToken)
  const print = await fingerprint(tokens.accessToken)
  if (!current()) return
  byTestId('access-token-fingerprint').textContent = print
  startCountdown(tokens.expiresAt)
}

/** ID token claims about the protocol, not the user: shown with the decoded ID token instead. */
const PROTOCOL_CLAIMS = new Set([
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'auth_time',
  'nonce',
  'at_hash',
  'c_hash',
  's_hash',
  'azp',
  'acr',
  'amr',
  'sid',
  'jti',
])

function renderClaims(claims: Record<string, unknown>): void {
  const table = byTestId('user-claims')
  table.replaceChildren()
  for (const [name, value] of Object.entries(claims)) {
    if (PROTOCOL_CLAIMS.has(name)) continue
    const row = document.createElement('tr')
    const th = document.createElement('th')
    th.textContent = name
    const td = document.createElement('td')
    td.textContent = typeof value === 'string' ? value : JSON.stringify(value)
    row.dataset.claim = name
    row.append(th, td)
    table.append(row)
  }
}

function renderJwt(prefix: 'id-token' | 'access-token', token: string | undefined): void {
  const decoded = decodeJwt(token)
  byTestId(`${prefix}-header`).textContent = decoded
    ? JSON.stringify(decoded.header, null, 2)
    : token
      ? '(opaque token: not a JWT)'
      : '(none)'
  byTestId(`${prefix}-claims`).textContent = decoded ? formatClaims(decoded.claims) : '—'
}

function startCountdown(expiresAt: number | undefined): void {
  const view = byTestId('token-expiry')
  const meter = byTestId('token-expiry-meter')
  const total = expiresAt ? Math.max(1, expiresAt - Math.floor(Date.now() / 1000)) : 0
  const tick = () => {
    if (!expiresAt) {
      view.textContent = 'unknown'
      view.dataset.seconds = ''
      return
    }
    const left = expiresAt - Math.floor(Date.now() / 1000)
    view.dataset.seconds = String(left)
    view.classList.toggle('soon', left > 0 && left < 60)
    view.classList.toggle('expired', left <= 0)
    if (left <= 0) {
      view.textContent = 'expired'
    } else {
      const h = Math.floor(left / 3600)
      const m = Math.floor((left % 3600) / 60)
      const s = left % 60
      view.textContent = `${h > 0 ? `${h}:` : ''}${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(s).padStart(2, '0')}`
    }
    meter.style.width = `${Math.max(0, Math.min(100, (left / total) * 100))}%`
  }
  tick()
  if (countdown) clearInterval(countdown)
  countdown = setInterval(tick, 1000)
}

/** Runs a button's action with the button disabled and errors shown in plain words. */
function action(testId: string, run: (button: HTMLButtonElement) => Promise<void>): void {
  const button = byTestId(testId) as HTMLButtonElement
  button.addEventListener('click', () => {
    clearError()
    setBusy(button, true)
    run(button)
      .catch((error) => showError(error))
      .finally(() => setBusy(button, false))
  })
}

function wire(): void {
  action('login-redirect', async () => {
    await useClient('code').loginWithRedirect({ returnTo: '/', ...consentForRefreshTokens() })
  })
  // The popup must open inside the click, before any await: loginWithPopup() does that first.
  action('login-popup', async () => {
    await useClient('code').loginWithPopup(consentForRefreshTokens())
    await render()
  })
  action('login-hybrid', async () => {
    await useClient('legacy').loginWithRedirect({
      responseType: 'code id_token',
      ...consentForRefreshTokens(),
    })
  })
  action('login-implicit', async () => {
    await useClient('legacy').loginWithRedirect({ responseType: 'id_token token' })
  })
  action('call-api', async () => {
    const status = byTestId('api-status')
    const result = byTestId('api-result')
    status.textContent = '…'
    const response = await spa.fetch(config.apiUrl)
    status.textContent = `${response.status} ${response.statusText}`
    result.dataset.status = String(response.status)
    const text = await response.text()
    try {
      result.textContent = JSON.stringify(JSON.parse(text), null, 2)
    } catch {
      result.textContent = text
    }
  })
  action('get-token', async () => {
    const token = await spa.getAccessToken()
    logEvent(`access token ${await fingerprint(token)}`)
    await render()
  })
  action('refresh-now', async () => {
    await spa.refresh()
    await render()
  })
  action('logout', async () => {
    const revoke = (byTestId('logout-revoke') as HTMLInputElement).checked
    await spa.logout({ revoke })
  })
  byTestId('error-dismiss').addEventListener('click', clearError)

  const storeSelect = byTestId('store-select') as HTMLSelectElement
  const dpopToggle = byTestId('dpop-toggle') as HTMLInputElement
  const refreshToggle = byTestId('refresh-token-toggle') as HTMLInputElement
  storeSelect.value = settings.store
  dpopToggle.checked = settings.dpop
  refreshToggle.checked = settings.refreshTokens
  const applySettings = async () => {
    // Tokens stay where the old setting put them; sign out so nothing is left behind.
    await spa.logout({ localOnly: true }).catch(() => {})
    saveSettings({
      ...settings,
      store: storeSelect.value as DemoSettings['store'],
      dpop: dpopToggle.checked,
      refreshTokens: refreshToggle.checked,
    })
    window.location.reload()
  }
  storeSelect.addEventListener('change', () => void applySettings())
  dpopToggle.addEventListener('change', () => void applySettings())
  refreshToggle.addEventListener('change', () => void applySettings())
}

async function start(): Promise<void> {
  const response = await fetch('/config.json')
  config = (await response.json()) as DemoConfig
  const link = byTestId('issuer-link') as HTMLAnchorElement
  link.href = `${config.issuer}/.well-known/openid-configuration`
  link.textContent = config.issuer
  spa = makeClient(settings.client)
  subscribe(spa)
  window.openrpDemo = { spa, settings, config }
  wire()
  if (spa.isRedirectCallback()) {
    try {
      const result = await spa.handleRedirectCallback()
      logEvent(
        result.type === 'logout'
          ? "returned from the provider's logout"
          : 'redirect callback handled',
      )
      if (result.returnTo !== '/' && result.returnTo !== window.location.pathname) {
        window.history.replaceState(null, '', result.returnTo)
      }
    } catch (error) {
      showError(error)
    }
  }
  await render()
}

start().catch((error) => {
  showError(error)
  setStatus('signed-out')
})
