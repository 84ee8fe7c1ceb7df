/**
 * The device authorization flow as a TV, console or CLI app runs it: show the user where to go
 * and which code to enter (with a QR code), count down until the code expires, poll as the
 * provider allows, and end with tokens or a typed error.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628
 * @module
 */
import {
  AbortError,
  type Client,
  type DeviceAuthorization,
  type DevicePollProgress,
  InvalidArgumentError,
  isOpenRpError,
  OAuthError,
  OpenRpError,
  resumeDeviceAuthorization,
  type Store,
  StoreError,
  type TimerHandle,
  type TokenSet,
} from '@openrp/core'
import {
  createQrCode,
  type DeviceLoginState,
  type DeviceLoginStatus,
  type DeviceQrCode,
  formatDevicePrompt,
  formatDeviceStatus,
  loadQrcode,
} from './device-prompt.ts'
import { StatusLine, type StatusOutput } from './internal/status-line.ts'

/** What the user must be shown, handed to {@link DeviceLoginOptions.onPrompt}. */
export interface DeviceLoginPrompt {
  userCode: string
  verificationUri: string
  verificationUriComplete: string | undefined
  /** Epoch seconds when the user code expires. */
  expiresAt: number
  /** Polling interval, seconds. */
  interval: number
  /** QR code of `verificationUriComplete` (terminal and SVG forms), when the provider sent one. */
  qr: DeviceQrCode | undefined
  /** This continues a device authorization kept in the store (e.g. before a restart). */
  resumed: boolean
}

/** Options of {@link deviceLogin}. */
export interface DeviceLoginOptions {
  /** Scope to request (default: the client's `scope`). */
  scope?: string
  /**
   * Called once the user has something to do: draw your own screen from it (the SVG QR code is
   * in `prompt.qr.svg`). The terminal prompt is still written to `output` unless it is `null`.
   */
  onPrompt?: (prompt: DeviceLoginPrompt) => void | Promise<void>
  /**
   * Called after every poll and at the end (waiting, slow_down, retrying, approved, ...). What
   * it throws does not change how the login ends (told `approved`, it still resolves with the
   * tokens): the first exception goes to `onWarning`.
   */
  onStatus?: (status: DeviceLoginStatus) => void
  /** Cancels the login: polling stops and the call rejects with `ABORTED`. */
  signal?: AbortSignal
  /**
   * Keeps the pending device authorization (with its secret `device_code`) until it is approved,
   * refused or expires, so an app restarted in between resumes polling with the same user code.
   */
  store?: Store
  /** Key in `store` (default `openrp:device-authorization:<client_id>`). */
  storeKey?: string
  /**
   * Where the prompt, QR code and status line go (default `process.stdout`; `null` for none).
   * On a terminal the status line counts down in place; elsewhere it is written on change.
   */
  output?: StatusOutput | null
  /**
   * Draw the QR code in the terminal (default: when the `qrcode` package is installed). The SVG
   * is made for `onPrompt` too. `qrcode` is loaded before the device authorization is requested:
   * without it, `qr: true` rejects with `DEPENDENCY_MISSING` before anything is sent; by default
   * the login goes on without a QR code (a note to `output`, and `onWarning`). With `qr: false`
   * and no `onPrompt` no QR code is made.
   */
  qr?: boolean
  /** Treat Ctrl-C (SIGINT) as a cancel while the login runs (default `true`). */
  cancelOnSigint?: boolean
  /**
   * Called when `store` fails (a `StoreError`, code `STORE_ERROR`): an entry that cannot be
   * read counts as nothing saved, a failed write only means this login cannot be resumed after
   * a restart; and when a QR code cannot be drawn for want of the `qrcode` package
   * (`DEPENDENCY_MISSING`); and when `onStatus` throws (the first time: its exception, as
   * `INVALID_ARGUMENT` with the exception as `cause` unless it is an openrp error); and when a
   * resumed device code is refused at its first poll (the provider's `INVALID_GRANT` or
   * `DEVICE_CODE_EXPIRED`) or runs out before the provider answered any poll of it
   * (`DEVICE_CODE_EXPIRED`), after which a new code is asked for. The login carries on either
   * way. A one-line note also goes to `output`.
   */
  onWarning?: (error: OpenRpError) => void
}

/**
 * A device login ended without tokens because the user refused (`ACCESS_DENIED`) or nobody
 * approved before the code expired (`DEVICE_CODE_EXPIRED`). The message is in plain words,
 * fit to show as is.
 */
export class DeviceLoginError extends OAuthError {
  constructor(
    code: 'ACCESS_DENIED' | 'DEVICE_CODE_EXPIRED',
    init: { error: string; errorDescription?: string; status?: number },
    options?: { cause?: unknown },
  ) {
    super(init, code)
    this.message =
      code === 'ACCESS_DENIED'
        ? 'The sign-in was declined on the other device. Nothing was signed in.'
        : 'The code expired before the sign-in was approved. Start again to get a new code.'
    if (options?.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause })
  }
}

/** What the store keeps between runs. `deviceCode` is a secret: it never leaves the store. */
interface PendingDeviceLogin {
  version: 1
  issuer: string
  clientId: string
  scope: string | undefined
  authorization: unknown
  expiresAt: number
}

const STATE_OF: Record<DevicePollProgress['reason'], DeviceLoginState> = {
  authorization_pending: 'waiting',
  slow_down: 'slow_down',
  backoff: 'retrying',
}

/** Leave this much of the code's life when resuming, seconds; less is not worth it. */
const RESUME_MARGIN_SEC = 5

/**
 * Runs the device flow (RFC 8628) and resolves with the tokens once the user approves.
 *
 * It writes instructions to `output` (the verification URI, the user code and a QR code of
 * `verification_uri_complete`), then a status line counting down to the code's expiry while it
 * polls the token endpoint at the provider's `interval` (longer after each `slow_down`).
 * Denial and expiry reject with a {@link DeviceLoginError} (`ACCESS_DENIED`,
 * `DEVICE_CODE_EXPIRED`); `signal` or Ctrl-C reject with `ABORTED`, leaving no timer behind.
 * A poll already sent when the code expires is waited for: the user may have approved just
 * before, and its answer then carries the tokens. Time is the client's `clock`.
 *
 * With a `store`, the pending authorization survives a restart: the next call before the code
 * expires shows the same code and keeps polling it. A kept code the provider refuses at once
 * (spent by a run whose store could not forget it, or expired), or that runs out before any
 * poll of it was answered, is dropped and a new one asked for.
 *
 * @example
 * ```ts
 * const client = await discover(issuer, { clientId: 'tv' })
 * const tokens = await deviceLogin(client, {
 *   scope: 'openid profile',
 *   store: new FileStore({ dir: join(homedir(), '.config', 'my-tv', 'login') }),
 * })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 */
export async function deviceLogin(
  client: Client,
  options: DeviceLoginOptions = {},
): Promise<TokenSet> {
  const output = options.output === undefined ? process.stdout : options.output
  const line = output ? new StatusLine(output) : undefined
  const controller = new AbortController()
  const cleanups: (() => void)[] = []
  const onAbort = () => controller.abort(new AbortError('The sign-in was cancelled'))
  if (options.signal?.aborted) throw new AbortError('The sign-in was cancelled')
  // Listened to before the first await: an abort while `qrcode` loads must not be missed.
  options.signal?.addEventListener('abort', onAbort, { once: true })
  cleanups.push(() => options.signal?.removeEventListener('abort', onAbort))
  if (options.cancelOnSigint ?? true) {
    process.on('SIGINT', onAbort)
    cleanups.push(() => process.off('SIGINT', onAbort))
  }
  const clientId = client.core.options.clientId
  const storeKey = options.storeKey ?? `openrp:device-authorization:${clientId}`

  const clock = client.core.options.clock
  const status: DeviceLoginStatus = { state: 'waiting', secondsLeft: 0, interval: 0, polls: 0 }
  let expiresAt = 0
  const warn = (error: OpenRpError, note: string) => {
    line?.release()
    output?.write(`${note}\n`)
    options.onWarning?.(error)
  }
  let statusFailed = false
  const show = (state: DeviceLoginState) => {
    status.state = state
    status.secondsLeft = Math.max(0, expiresAt - clock.now() / 1000)
    try {
      options.onStatus?.({ ...status })
    } catch (error) {
      // The app's callback never decides how the login ends: told `approved`, the code is
      // spent and the tokens about to be returned are the only ones. Reported once.
      if (!statusFailed) warn(onStatusError(error), 'Note: the onStatus callback failed.')
      statusFailed = true
    }
    if (!line) return
    const text = formatDeviceStatus(status)
    if (['approved', 'denied', 'expired', 'cancelled'].includes(state)) line.finish(text)
    else line.update(text, `${state}:${status.interval}`)
  }

  try {
    // A QR code needs the optional `qrcode` package: it is loaded before the device
    // authorization is requested, so `qr: true` without it fails before anything is sent.
    let wantsQr = options.qr !== false || options.onPrompt !== undefined
    let qrMissing: OpenRpError | undefined
    if (wantsQr) {
      qrMissing = await loadQrcode().then(
        () => undefined,
        (error: unknown) => {
          if (options.qr === true || !isOpenRpError(error, 'DEPENDENCY_MISSING')) throw error
          return error
        },
      )
      wantsQr = qrMissing === undefined
    }
    if (controller.signal.aborted) throw controller.signal.reason
    if (qrMissing) warn(qrMissing, '(No QR code: install the qrcode package to show one.)')
    let mayResume = true
    let ticking = false
    for (;;) {
      const { authorization, resumed } = await startOrResume(
        client,
        options,
        storeKey,
        controller.signal,
        warn,
        mayResume,
      ).catch((error) => {
        throw controller.signal.aborted && controller.signal.reason instanceof AbortError
          ? controller.signal.reason
          : error
      })
      expiresAt = authorization.expiresAt
      status.interval = authorization.interval
      status.polls = 0
      const qr =
        wantsQr && authorization.verificationUriComplete
          ? await qrCodeOf(authorization.verificationUriComplete, output?.isTTY === true)
          : undefined
      const prompt: DeviceLoginPrompt = {
        userCode: authorization.userCode,
        verificationUri: authorization.verificationUri,
        verificationUriComplete: authorization.verificationUriComplete,
        expiresAt: authorization.expiresAt,
        interval: authorization.interval,
        qr,
        resumed,
      }
      await options.onPrompt?.(prompt)
      output?.write(
        formatDevicePrompt({ ...prompt, qr: options.qr === false ? undefined : qr?.terminal }),
      )
      show('waiting')

      // The countdown: redrawn every second (of the client's clock) on a terminal; its timer
      // dies with the login.
      if (line?.interactive && !ticking) {
        ticking = true
        let ticker: TimerHandle | undefined
        const tick = () => {
          ticker = clock.setTimeout(() => {
            show(status.state)
            tick()
          }, 1000)
        }
        tick()
        cleanups.push(() => clock.clearTimeout(ticker))
      }
      // Expiry ends polling inside poll(): it sends no poll past the code's life, and a poll
      // already sent is waited for (it may carry the tokens of a code the provider has spent).

      // Whether the provider has told this run the code is still pending (so it was usable).
      let pending = false
      try {
        const tokens = await authorization.poll({
          signal: controller.signal,
          onPending: (progress: DevicePollProgress) => {
            status.polls++
            status.interval = progress.interval
            if (progress.reason !== 'backoff') pending = true
            show(STATE_OF[progress.reason])
          },
        })
        status.polls++
        await forget(options.store, storeKey)
        show('approved')
        return tokens
      } catch (error) {
        if (isOpenRpError(error) && error.code !== 'ABORTED' && !controller.signal.aborted)
          status.polls++
        // A kept code refused at once was spent (approved in a run whose store could not
        // forget it) or has expired: this run starts a new sign-in rather than failing.
        if (resumed && !pending && !controller.signal.aborted && unusable(error)) {
          await forget(options.store, storeKey)
          warn(error, 'Note: the saved sign-in can no longer be used; starting a new one.')
          mayResume = false
          continue
        }
        throw await settleFailure(error, controller.signal, options.store, storeKey, show)
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) cleanup()
    line?.release()
  }
}

/**
 * The QR code of `text`, or none when it cannot be drawn (a `verification_uri_complete` too
 * long for a QR code): the URI and user code are shown either way. A missing `qrcode` package
 * still rejects with DEPENDENCY_MISSING.
 */
async function qrCodeOf(text: string, ansi: boolean): Promise<DeviceQrCode | undefined> {
  try {
    return await createQrCode(text, { ansi })
  } catch (error) {
    if (isOpenRpError(error, 'DEPENDENCY_MISSING')) throw error
    return undefined
  }
}

async function settleFailure(
  error: unknown,
  signal: AbortSignal,
  store: Store | undefined,
  storeKey: string,
  show: (state: DeviceLoginState) => void,
): Promise<unknown> {
  const reason: unknown = signal.aborted ? signal.reason : undefined
  if (reason instanceof AbortError || isOpenRpError(error, 'ABORTED')) {
    show('cancelled')
    return reason instanceof AbortError ? reason : error
  }
  if (isOpenRpError(error, 'ACCESS_DENIED') || isOpenRpError(error, 'DEVICE_CODE_EXPIRED')) {
    await forget(store, storeKey)
    const denied = error.code === 'ACCESS_DENIED'
    show(denied ? 'denied' : 'expired')
    const oauthError = error as OAuthError
    return new DeviceLoginError(
      error.code as 'ACCESS_DENIED' | 'DEVICE_CODE_EXPIRED',
      {
        error: oauthError.error ?? (denied ? 'access_denied' : 'expired_token'),
        ...(oauthError.errorDescription !== undefined && {
          errorDescription: oauthError.errorDescription,
        }),
        ...(oauthError.status !== undefined && { status: oauthError.status }),
      },
      { cause: error },
    )
  }
  // Other failures (network, a refused grant): keep the stored authorization for a retry
  // unless the provider said the code is unusable.
  if (isOpenRpError(error, 'INVALID_GRANT')) await forget(store, storeKey)
  return error
}

async function forget(store: Store | undefined, key: string): Promise<void> {
  if (!store) return
  try {
    await store.delete(key)
  } catch {
    // A stale entry expires by its TTL and is refused on resume once its code has expired.
  }
}

async function startOrResume(
  client: Client,
  options: DeviceLoginOptions,
  storeKey: string,
  signal: AbortSignal,
  warn: (error: OpenRpError, note: string) => void,
  mayResume: boolean,
): Promise<{ authorization: DeviceAuthorization; resumed: boolean }> {
  const { store } = options
  const scope = options.scope
  const issuer = client.metadata.issuer
  const clientId = client.core.options.clientId
  if (store && mayResume) {
    // An entry that cannot be read (a damaged file, an unreachable Redis) is nothing saved.
    const saved = await store.get<PendingDeviceLogin>(storeKey).catch(async (error: unknown) => {
      warn(
        asStoreError(error, 'The saved device sign-in could not be read'),
        'Note: the saved sign-in could not be read; starting a new one.',
      )
      await forget(store, storeKey)
      return undefined
    })
    if (
      isPending(saved) &&
      saved.issuer === issuer &&
      saved.clientId === clientId &&
      saved.scope === scope &&
      saved.expiresAt - client.core.options.clock.now() / 1000 > RESUME_MARGIN_SEC
    ) {
      try {
        const authorization = resumeDeviceAuthorization(client.core, saved.authorization)
        return { authorization, resumed: true }
      } catch {
        // Unreadable: fall through to a fresh authorization.
      }
    }
  }
  if (scope !== undefined && typeof scope !== 'string')
    throw new InvalidArgumentError('scope must be a string')
  const authorization = await client.deviceAuthorization({
    ...(scope !== undefined && { scope }),
    signal,
  })
  if (store) {
    const ttlSec = Math.ceil(authorization.expiresAt - client.core.options.clock.now() / 1000)
    const pending: PendingDeviceLogin = {
      version: 1,
      issuer,
      clientId,
      scope,
      authorization: authorization.toJSON(),
      expiresAt: authorization.expiresAt,
    }
    if (ttlSec > 0) {
      try {
        await store.set(storeKey, pending, { ttlSec })
      } catch (error) {
        warn(
          asStoreError(error, 'The device sign-in could not be saved'),
          'Note: this sign-in could not be saved; it cannot be resumed after a restart.',
        )
      }
    }
  }
  return { authorization, resumed: false }
}

/** The provider's answer that a device code cannot be polled any more: spent, unknown, expired. */
function unusable(error: unknown): error is OpenRpError {
  return isOpenRpError(error, 'INVALID_GRANT') || isOpenRpError(error, 'DEVICE_CODE_EXPIRED')
}

/** What `onStatus` threw, as a warning: an openrp error as it is, else `INVALID_ARGUMENT`. */
function onStatusError(error: unknown): OpenRpError {
  if (isOpenRpError(error)) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new OpenRpError('INVALID_ARGUMENT', `options.onStatus threw: ${reason}`, { cause: error })
}

function asStoreError(error: unknown, message: string): OpenRpError {
  return isOpenRpError(error) ? error : new StoreError(message, { cause: error })
}

function isPending(value: unknown): value is PendingDeviceLogin {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    v.version === 1 &&
    typeof v.issuer === 'string' &&
    typeof v.clientId === 'string' &&
    typeof v.expiresAt === 'number' &&
    v.authorization !== undefined
  )
}
