/**
 * What a device-flow app shows its user: the verification URI, the user code, a QR code of
 * `verification_uri_complete`, a countdown until the code expires and the polling state.
 * Pure functions (no I/O), so apps that draw their own screen can reuse them. The `qrcode`
 * module is loaded on the first {@link createQrCode} call, not when this module is imported.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3 (user interaction)
 * @module
 */
import { loadOptional } from './internal/optional-dependency.ts'

/** Loads the optional `qrcode` package; DependencyMissingError when it is not installed. */
export function loadQrcode() {
  return loadOptional('qrcode', 'A QR code', () => import('qrcode'))
}

/** A QR code in the two forms apps need. */
export interface DeviceQrCode {
  /**
   * Drawn with Unicode half blocks, two modules per character row. With `ansi` (the default
   * when the output is a terminal) it carries colour codes that force dark-on-light, so it
   * scans on dark terminals too; without, it is plain text (logs, files, non-TTY output).
   */
  terminal: string
  /** A standalone `<svg>` document (dark modules on white, with the quiet zone). */
  svg: string
}

/** Options of {@link createQrCode}. */
export interface QrCodeOptions {
  /** Use ANSI colours in the terminal form (default `true`). */
  ansi?: boolean
}

/**
 * Encodes `text` (normally `verification_uri_complete`) as a QR code for the terminal and as
 * SVG.
 *
 * @example
 * ```ts
 * const qr = await createQrCode('https://op.example/device?user_code=WDJB-MJHT')
 * process.stdout.write(qr.terminal)
 * ```
 */
export async function createQrCode(
  text: string,
  options: QrCodeOptions = {},
): Promise<DeviceQrCode> {
  const ansi = options.ansi ?? true
  const { default: QRCode } = await loadQrcode()
  const [terminal, svg] = await Promise.all([
    ansi
      ? QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'L' })
      : QRCode.toString(text, {
          type: 'utf8',
          errorCorrectionLevel: 'L',
          margin: 2,
          // utf8 draws dark modules as blocks; swap so the quiet zone is "lit" like paper.
          color: { dark: '#ffffff', light: '#000000' },
        }),
    QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 }),
  ])
  return { terminal, svg }
}

/**
 * `seconds` as `m:ss` (or `h:mm:ss` from one hour). Negative values show as `0:00`.
 *
 * @example
 * ```ts
 * formatCountdown(272) // '4:32'
 * ```
 */
export function formatCountdown(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const ss = String(s).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}

/** What {@link formatDevicePrompt} shows. */
export interface DevicePromptText {
  verificationUri: string
  verificationUriComplete?: string | undefined
  userCode: string
  /** The terminal QR code (from {@link createQrCode}); omitted when absent. */
  qr?: string | undefined
  /** The prompt continues a device authorization started earlier (e.g. before a restart). */
  resumed?: boolean | undefined
}

/**
 * The instructions block: where to go, which code to enter, the QR code to scan.
 *
 * @example
 * ```ts
 * process.stdout.write(formatDevicePrompt({ verificationUri, userCode, qr: qr.terminal }))
 * ```
 */
export function formatDevicePrompt(prompt: DevicePromptText): string {
  const lines: string[] = []
  if (prompt.resumed) lines.push('Continuing the sign-in started earlier.', '')
  lines.push('To sign in, use a browser on another device:', '')
  lines.push(`  1. Go to    ${prompt.verificationUri}`)
  lines.push(`  2. Enter    ${prompt.userCode}`)
  if (prompt.qr && prompt.verificationUriComplete) {
    lines.push('', 'Or scan this QR code with your phone (the code is filled in for you):', '')
    lines.push(prompt.qr.replace(/\n+$/, ''))
  }
  lines.push('')
  return `${lines.join('\n')}\n`
}

/** Where a device login is, for status lines and `onStatus` listeners. */
export type DeviceLoginState =
  /** Waiting for the user; the token endpoint is asked every `interval` seconds. */
  | 'waiting'
  /** The provider answered `slow_down`: the interval grew by 5 seconds (RFC 8628 §3.5). */
  | 'slow_down'
  /** The provider could not be reached or failed (5xx, 429): trying again after `interval`. */
  | 'retrying'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'cancelled'

/** One status update of a device login. */
export interface DeviceLoginStatus {
  state: DeviceLoginState
  /** Seconds until the user code expires. */
  secondsLeft: number
  /** Seconds between polls (grows on `slow_down`, and while retrying). */
  interval: number
  /** Token requests answered so far. */
  polls: number
}

/**
 * One line describing `status`, for a countdown redrawn in place or logged on change.
 *
 * @example
 * ```ts
 * formatDeviceStatus({ state: 'waiting', secondsLeft: 272, interval: 5, polls: 3 })
 * // 'Waiting for you to approve… code expires in 4:32 (checking every 5 s)'
 * ```
 */
export function formatDeviceStatus(status: DeviceLoginStatus): string {
  const left = `code expires in ${formatCountdown(status.secondsLeft)}`
  const every = `checking every ${status.interval} s`
  switch (status.state) {
    case 'waiting':
      return `Waiting for you to approve… ${left} (${every})`
    case 'slow_down':
      return `The provider asked us to slow down: now ${every}. ${capitalise(left)}`
    case 'retrying':
      return `The provider did not answer; trying again in ${status.interval} s. ${capitalise(left)}`
    case 'approved':
      return 'Approved. You are signed in.'
    case 'denied':
      return 'The sign-in was declined on the other device.'
    case 'expired':
      return 'The code expired before it was approved.'
    case 'cancelled':
      return 'Sign-in cancelled.'
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
