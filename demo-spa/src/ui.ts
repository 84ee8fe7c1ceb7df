/** Small DOM helpers of the demo. */

export function byTestId(id: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(`[data-testid="${id}"]`)
  if (!element) throw new Error(`The page has no [data-testid="${id}"]`)
  return element
}

export function setStatus(state: 'signed-in' | 'signed-out'): void {
  const status = byTestId('status')
  status.dataset.state = state
  const text = status.querySelector('.status-text')
  if (text) text.textContent = state === 'signed-in' ? 'Signed in' : 'Signed out'
}

export function setBusy(button: HTMLButtonElement, busy: boolean): void {
  button.disabled = busy
  button.setAttribute('aria-busy', String(busy))
}

/** Plain-words explanations of the error codes a newcomer meets first. */
const EXPLANATIONS: Record<string, string> = {
  POPUP_BLOCKED:
    'The browser blocked the sign-in popup. Allow popups for this page, or sign in with redirect.',
  POPUP_CLOSED: 'The sign-in popup was closed before sign-in finished.',
  POPUP_TIMEOUT: 'The sign-in popup took too long; try again.',
  STATE_MISMATCH:
    'This sign-in response does not match a sign-in started from this tab (it was used already, or is unknown). Nothing was stored.',
  STATE_MISSING: 'The provider answered without the "state" this page sent. Nothing was stored.',
  ISS_MISMATCH:
    'The response came from a different provider than the one this page signed in with. Nothing was stored.',
  ISS_MISSING: 'The provider did not say who it is (no "iss" in the response). Nothing was stored.',
  INTERACTION_REQUIRED: 'You need to sign in again (the provider needs to see you).',
  LOGIN_REQUIRED: 'You are not signed in.',
  SESSION_EXPIRED: 'Your session ended; sign in again.',
  INVALID_GRANT: 'The provider no longer accepts this session (revoked or expired); sign in again.',
  NETWORK_ERROR: 'The provider could not be reached. Is the demo server still running?',
  TIMEOUT: 'The provider took too long to answer.',
  ACCESS_DENIED: 'Sign-in was cancelled or refused.',
  SILENT_RENEW_TIMEOUT: 'Renewing your session in the background took too long.',
  REDIRECT_NOT_ALLOWED: 'That return address is not allowed.',
}

export function showError(error: unknown): void {
  const banner = byTestId('error')
  const code =
    typeof error === 'object' && error !== null && 'code' in error
      ? String((error as { code: unknown }).code)
      : 'UNEXPECTED'
  const message = error instanceof Error ? error.message : String(error)
  const plain = EXPLANATIONS[code]
  byTestId('error-code').textContent = code
  byTestId('error-message').textContent = plain ? `${plain} (${message})` : message
  banner.dataset.code = code
  banner.hidden = false
  logEvent(`error ${code}`)
}

export function clearError(): void {
  const banner = byTestId('error')
  banner.hidden = true
  banner.dataset.code = ''
}

export function logEvent(text: string): void {
  const list = byTestId('event-log')
  const item = document.createElement('li')
  const time = document.createElement('time')
  time.textContent = new Date().toLocaleTimeString()
  item.append(time, text)
  item.dataset.event = text.split(' ')[0]
  list.prepend(item)
}
