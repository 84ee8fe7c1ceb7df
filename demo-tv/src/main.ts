/**
 * The demo TV app: sign in with a phone (device flow: code, QR code, countdown), then show who
 * is signed in (UserInfo) and call the demo API with the access token. Every control is a
 * button reachable with the remote's arrow keys and OK.
 */
import { createDeviceLogin, type DeviceLogin, type DeviceLoginState } from '@openrp/browser'
import { focusFirst, installRemote } from './remote.ts'

interface Config {
  issuer: string
  clientId: string
  apiUrl: string
  scope: string
  renewDelayMs?: number
}

declare global {
  interface Window {
    /** The live controller, for the e2e suite. */
    openrpTv?: { login: DeviceLogin }
  }
}

const $ = <T extends HTMLElement = HTMLElement>(testId: string) =>
  document.querySelector<T>(`[data-testid="${testId}"]`)!

const STATUS_TEXT: Record<DeviceLoginState['status'], string> = {
  idle: '',
  starting: 'Getting a code…',
  waiting: 'Waiting for your phone',
  'slowed-down': 'Waiting (checking less often)',
  retrying: 'Connection trouble',
  offline: 'Offline',
  expired: 'Code expired',
  denied: 'Declined',
  error: 'Error',
  'signed-in': 'Signed in',
}

const HINTS: Partial<Record<DeviceLoginState['status'], [string, 'ok' | 'warn']>> = {
  starting: ['Getting a code…', 'ok'],
  waiting: ['Waiting for you to approve on your phone…', 'ok'],
  'slowed-down': ['The provider asked us to check less often. Still waiting…', 'warn'],
  retrying: ['Having trouble reaching the provider. Retrying…', 'warn'],
  offline: ["You're offline. We'll carry on when the network is back.", 'warn'],
}

function screenFor(status: DeviceLoginState['status']): string {
  switch (status) {
    case 'signed-in':
      return 'home'
    case 'expired':
    case 'denied':
    case 'error':
      return status
    case 'idle':
      return 'loading'
    default:
      return 'signin'
  }
}

/** `WDJB-MJHT` as two boxed groups with a dash between; codes without a dash in fours. */
function renderUserCode(el: HTMLElement, code: string | undefined): void {
  if (el.dataset.code === (code ?? '')) return
  el.dataset.code = code ?? ''
  el.replaceChildren()
  if (!code) return
  const groups = code.includes('-') ? code.split('-') : (code.match(/.{1,4}/g) ?? [code])
  groups.forEach((group, i) => {
    if (i > 0) {
      const dash = document.createElement('span')
      dash.className = 'dash'
      dash.textContent = '–'
      dash.setAttribute('aria-hidden', 'true')
      el.append(dash)
    }
    const span = document.createElement('span')
    span.className = 'group'
    span.textContent = group
    el.append(span)
  })
  el.setAttribute('aria-label', `Your code: ${code.split('').join(' ')}`)
}

function formatSeconds(seconds: number): string {
  const m = Math.floor(seconds / 60)
  const s = seconds % 60
  return `${m}:${String(s).padStart(2, '0')}`
}

async function main(): Promise<void> {
  installRemote()
  const config = (await (await fetch('/config.json')).json()) as Config
  const login = createDeviceLogin({
    issuer: config.issuer,
    clientId: config.clientId,
    scope: config.scope,
    renewDelayMs: config.renewDelayMs,
  })
  window.openrpTv = { login }
  $('api-url').textContent = config.apiUrl

  let shownScreen = ''
  /** Set while (and after) the home screen loads, until the user is signed out. */
  let homeLoaded = false

  const render = (state: DeviceLoginState) => {
    const status = $('status')
    status.dataset.status = state.status
    status.textContent = STATUS_TEXT[state.status]

    renderUserCode($('user-code'), state.userCode)
    $('verification-uri').textContent = state.verificationUri ?? '…'
    const qr = $('qr')
    if (qr.dataset.for !== (state.qrSvg ? state.userCode : '')) {
      qr.dataset.for = state.qrSvg ? (state.userCode ?? '') : ''
      // The SVG comes from the QR encoder (qrcode), not from the network.
      qr.innerHTML = state.qrSvg ?? ''
    }
    const countdown = $('countdown')
    countdown.textContent = state.secondsLeft === undefined ? '' : formatSeconds(state.secondsLeft)
    countdown.dataset.seconds = String(state.secondsLeft ?? '')
    countdown.parentElement!.classList.toggle('low', (state.secondsLeft ?? 99) <= 30)
    const hint = HINTS[state.status]
    $('hint').textContent = hint?.[0] ?? ''
    $('hint').dataset.tone = hint?.[1] ?? 'ok'
    $('error-message').textContent = state.error?.message ?? ''
    $('error-code').textContent = state.error?.code ?? ''

    const screen = screenFor(state.status)
    const main = $('screen')
    main.dataset.screen = screen
    main.dataset.status = state.status
    for (const section of document.querySelectorAll<HTMLElement>('[data-screen-name]'))
      section.hidden = section.dataset.screenName !== screen
    if (screen !== shownScreen) {
      shownScreen = screen
      focusFirst()
    }
    if (state.status !== 'signed-in') homeLoaded = false
    else if (!homeLoaded) {
      homeLoaded = true
      void loadHome()
    }
  }

  const loadHome = async () => {
    $('user-name').textContent = '…'
    try {
      // Conformant providers put profile claims at UserInfo, not in the ID token.
      const user = await login.userinfo()
      $('user-name').textContent = String(user.name ?? user.preferred_username ?? user.sub)
      $('user-email').textContent = String(user.email ?? user.sub)
    } catch (error) {
      $('user-name').textContent = 'there'
      $('user-email').textContent = (error as { code?: string }).code ?? String(error)
    }
    await callApi()
  }

  const callApi = async () => {
    const result = $('api-result')
    const status = $('api-status')
    status.textContent = '…'
    try {
      const res = await login.fetch(config.apiUrl)
      status.textContent = `${res.status}`
      result.dataset.status = String(res.status)
      const text = await res.text()
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        body = { body: text }
      }
      const rows = Object.entries((body ?? {}) as Record<string, unknown>).flatMap(([k, v]) => {
        const dt = document.createElement('dt')
        dt.textContent = k
        const dd = document.createElement('dd')
        dd.textContent = typeof v === 'string' ? v : JSON.stringify(v)
        return [dt, dd]
      })
      result.replaceChildren(...rows)
    } catch (error) {
      status.textContent = (error as { code?: string }).code ?? 'failed'
      result.dataset.status = 'error'
      result.textContent = String((error as Error).message ?? error)
    }
  }

  $('new-code').addEventListener('click', () => void login.restart())
  $('expired-new-code').addEventListener('click', () => void login.restart())
  $('denied-retry').addEventListener('click', () => void login.restart())
  $('error-retry').addEventListener('click', () => void login.restart())
  $('call-api').addEventListener('click', () => void callApi())
  $('sign-out').addEventListener('click', async () => {
    await login.logout()
    await login.start()
  })

  login.subscribe(render)
  await login.start()
}

main().catch((error) => {
  document.body.dataset.fatal = String(error)
  const message = document.createElement('p')
  message.textContent = `The app could not start: ${error}`
  document.body.append(message)
})
