/**
 * Device authorization grant (RFC 8628) for TV and other input-constrained apps.
 *
 * Lenient where providers are sloppy, documented here:
 * - `interval` missing or not a number → 5 s (RFC 8628 §3.2 default); numeric strings are
 *   parsed; values below 1 s (e.g. `0`) → 1 s.
 * - `expires_in` missing, not a number or ≤ 0 → 600 s; numeric strings are parsed.
 * - `slow_down` adds 5 s to the interval for good (§3.5).
 * - A poll already sent is never abandoned: once the user approved, the provider spends the
 *   device code on the first poll that reaches it, so a poll sent again would only get
 *   `invalid_grant`. A poll slower than `timeoutMs` ends the wait, not the request: the caller
 *   is told (`backoff`, the interval doubled) and polling waits for that poll's answer, sending
 *   no other, up to the code's expiry. A poll whose wait is aborted by the signal is kept too:
 *   the next `poll()` of the same authorization takes its answer instead of sending a new one.
 * - The `poll()` calls of one authorization share one polling loop: a `poll()` made while
 *   another waits joins it (its `onPending` hears the same reports, it gets the same outcome),
 *   so the provider sees one poll per interval, and each answer is counted once (`slow_down`,
 *   backoff). A caller's signal ends its own wait; the loop stops when no `poll()` waits.
 * - A poll that fails on the network or gets 429 / 5xx doubles the interval (at most 60 s) or
 *   waits Retry-After when given; polling goes on until the device code expires.
 * - Time (the interval, `slow_down`, expiry, the `timeoutMs` wait) comes from the client's
 *   `clock`.
 * - `expired_token` → OAuthError `DEVICE_CODE_EXPIRED`; `access_denied` → `ACCESS_DENIED`;
 *   the AbortSignal → AbortError. Local expiry also throws `DEVICE_CODE_EXPIRED`.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from '../client-core.ts'
import {
  AbortError,
  InvalidArgumentError,
  OAuthError,
  OpenRpError,
  ValidationError,
} from '../errors.ts'
import { type Clock, sleep } from '../clock.ts'
import { CLIENT_PARAMS, extraParamsOf } from '../internal/extra-params.ts'
import { operation } from '../internal/operation.ts'
import { parseRetryAfter } from '../internal/retry.ts'
import { tokenRequest } from '../internal/token-request.ts'
import type { TokenSet } from '../token-set.ts'

/** Options of `client.deviceAuthorization()` (RFC 8628 §3.1). */
export interface DeviceAuthorizationOptions {
  scope?: string
  /**
   * Further parameters. Not client authentication (openrp sets it) or `scope` (an option here):
   * INVALID_ARGUMENT.
   */
  extraParams?: Record<string, string>
  signal?: AbortSignal
}

/** Progress report of {@link DeviceAuthorization.poll}. */
export interface DevicePollProgress {
  /** Why polling goes on. */
  reason: 'authorization_pending' | 'slow_down' | 'backoff'
  /** Seconds until the next poll. */
  interval: number
  /** Epoch seconds when the device code expires. */
  expiresAt: number
}

/** Options of `DeviceAuthorization.poll()`: an abort signal and a progress callback. */
export interface DevicePollOptions {
  signal?: AbortSignal
  /** Called after every `authorization_pending` (or `slow_down`) answer. */
  onPending?: (progress: DevicePollProgress) => void
}

/** A started device authorization: show `userCode` / `verificationUri`, then `poll()`. */
export interface DeviceAuthorization {
  userCode: string
  verificationUri: string
  verificationUriComplete?: string
  /** Epoch seconds. */
  expiresAt: number
  /** Seconds between polls (grows on slow_down and backoff). */
  interval: number
  /** Polls the token endpoint until the user approves, denies, or the code expires. */
  poll(options?: DevicePollOptions): Promise<TokenSet>
  /**
   * Plain JSON to keep the pending authorization in a Store and continue it after a restart
   * with {@link resumeDeviceAuthorization}. It holds the `device_code`, a secret: keep it in a
   * store only, never print or log it.
   */
  toJSON(): DeviceAuthorizationJSON
}

/** The JSON form of a pending {@link DeviceAuthorization}. */
export interface DeviceAuthorizationJSON {
  /** Secret: whoever has it can collect the user's tokens once approved. */
  deviceCode: string
  userCode: string
  verificationUri: string
  verificationUriComplete?: string
  /** Epoch seconds. */
  expiresAt: number
  interval: number
}

const DEFAULT_INTERVAL = 5
const DEFAULT_EXPIRES_IN = 600
const MAX_BACKOFF = 60

/**
 * Starts the device flow.
 *
 * @example
 * ```ts
 * const device = await deviceAuthorization(core, { scope: 'openid offline_access' })
 * show(device.verificationUriComplete ?? device.verificationUri, device.userCode)
 * const tokens = await device.poll({ onPending: ({ interval }) => console.log(`waiting ${interval}s`) })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8628
 */
export async function deviceAuthorization(
  core: ClientCore,
  options: DeviceAuthorizationOptions = {},
): Promise<DeviceAuthorization> {
  const params = extraParamsOf(options.extraParams, CLIENT_PARAMS, { scope: 'scope' })
  const scope = options.scope ?? core.options.scope
  if (typeof scope !== 'string') throw new InvalidArgumentError('scope must be a string')
  params.set('scope', scope)
  const body = await operation(
    core,
    { signal: options.signal, retry: true, context: 'device_authorization' },
    async (http) => {
      const response = await oauth.deviceAuthorizationRequest(
        core.metadata,
        core.client,
        core.clientAuth,
        params,
        http,
      )
      if (response.status !== 200)
        await oauth.processDeviceAuthorizationResponse(core.metadata, core.client, response)
      let json: unknown
      try {
        json = await response.json()
      } catch {
        throw new ValidationError(
          'INVALID_RESPONSE',
          'The device authorization response is not JSON',
        )
      }
      return parseDeviceResponse(json)
    },
  )
  const state = {
    userCode: body.user_code,
    verificationUri: body.verification_uri,
    ...(body.verification_uri_complete !== undefined && {
      verificationUriComplete: body.verification_uri_complete,
    }),
    expiresAt: Math.floor(core.options.clock.now() / 1000) + body.expires_in,
    interval: body.interval,
  }
  return resumeDeviceAuthorization(core, { deviceCode: body.device_code, ...state })
}

/**
 * Continues a device authorization kept as {@link DeviceAuthorization.toJSON} (e.g. by an app
 * restarted before the user approved): same user code, polling goes on. Throws
 * INVALID_ARGUMENT when `json` is not such a value.
 *
 * @example
 * ```ts
 * const ttlSec = device.expiresAt - Math.floor(Date.now() / 1000) // expiresAt is in seconds
 * await store.set('device', device.toJSON(), { ttlSec })
 * // after a restart:
 * const resumed = resumeDeviceAuthorization(client.core, await store.get('device'))
 * ```
 */
export function resumeDeviceAuthorization(core: ClientCore, json: unknown): DeviceAuthorization {
  const j = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>
  const { deviceCode, userCode, verificationUri, verificationUriComplete, expiresAt, interval } = j
  if (
    typeof deviceCode !== 'string' ||
    deviceCode === '' ||
    typeof userCode !== 'string' ||
    typeof verificationUri !== 'string' ||
    (verificationUriComplete !== undefined && typeof verificationUriComplete !== 'string') ||
    typeof expiresAt !== 'number' ||
    !Number.isFinite(expiresAt) ||
    typeof interval !== 'number' ||
    !(interval >= 1)
  )
    throw new InvalidArgumentError('not a pending device authorization (DeviceAuthorizationJSON)')
  // One polling loop and the poll on its way, shared by every poll() of this authorization.
  const polling: Polling = { waiters: new Set() }
  const device: DeviceAuthorization = {
    userCode,
    verificationUri,
    ...(verificationUriComplete !== undefined && { verificationUriComplete }),
    expiresAt,
    interval,
    poll: (pollOptions = {}) => pollDeviceCode(core, deviceCode, device, polling, pollOptions),
    toJSON: () => ({
      deviceCode,
      userCode: device.userCode,
      verificationUri: device.verificationUri,
      ...(device.verificationUriComplete !== undefined && {
        verificationUriComplete: device.verificationUriComplete,
      }),
      expiresAt: device.expiresAt,
      interval: device.interval,
    }),
  }
  return device
}

interface DeviceResponse {
  device_code: string
  user_code: string
  verification_uri: string
  verification_uri_complete?: string
  expires_in: number
  interval: number
}

/** Parses a device authorization response body with the leniency documented above. */
export function parseDeviceResponse(json: unknown): DeviceResponse {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ValidationError(
      'INVALID_RESPONSE',
      'The device authorization response is not a JSON object',
    )
  const j = json as Record<string, unknown>
  const verificationUri = j.verification_uri ?? j.verification_url
  for (const [name, value] of [
    ['device_code', j.device_code],
    ['user_code', j.user_code],
    ['verification_uri', verificationUri],
  ] as const) {
    if (typeof value !== 'string' || value === '')
      throw new ValidationError(
        'INVALID_RESPONSE',
        `The device authorization response has no ${name}`,
      )
  }
  const complete = j.verification_uri_complete ?? undefined
  // Apps print these on terminals and show them as links and QR codes: a control character
  // (an escape sequence) or a URI that is no web address (`javascript:`) is refused.
  if (CONTROL_CHARACTER.test(j.user_code as string))
    throw new ValidationError(
      'INVALID_RESPONSE',
      'The device authorization response has control characters in user_code',
    )
  for (const [name, uri] of [
    ['verification_uri', verificationUri],
    ['verification_uri_complete', complete],
  ] as const) {
    if (uri !== undefined && !isWebAddress(uri))
      throw new ValidationError(
        'INVALID_RESPONSE',
        `The device authorization response's ${name} is no http(s) URL`,
      )
  }
  const expiresIn = toSeconds(j.expires_in)
  const interval = toSeconds(j.interval)
  return {
    device_code: j.device_code as string,
    user_code: j.user_code as string,
    verification_uri: verificationUri as string,
    ...(complete !== undefined && { verification_uri_complete: complete as string }),
    expires_in: expiresIn === undefined || expiresIn <= 0 ? DEFAULT_EXPIRES_IN : expiresIn,
    interval: interval === undefined ? DEFAULT_INTERVAL : Math.max(1, interval),
  }
}

/** C0 and C1 control characters and DEL. */
const CONTROL_CHARACTER = /\p{Cc}/u

/** An absolute http(s) URL without control characters. */
function isWebAddress(value: unknown): boolean {
  if (typeof value !== 'string' || CONTROL_CHARACTER.test(value)) return false
  try {
    return /^https?:$/.test(new URL(value).protocol)
  } catch {
    return false
  }
}

function toSeconds(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

/** What a sent poll ended with: tokens, or the error and the response behind it. */
type PollOutcome = { tokens: TokenSet } | { error: unknown; response: Response | undefined }

/** A `poll()` call waiting for the polling loop's outcome. */
interface Waiter {
  onPending: DevicePollOptions['onPending']
  resolve: (tokens: TokenSet) => void
  reject: (error: unknown) => void
}

/**
 * The polling of one device authorization, shared by its `poll()` calls: one loop, one schedule.
 */
interface Polling {
  /** The `poll()` calls waiting now. */
  waiters: Set<Waiter>
  /** Stops the running loop (its sleep, its wait for an answer); none when no loop runs. */
  loop?: AbortController
  /** The poll on its way, if any: kept until its answer has been counted by a loop. */
  inFlight?: Promise<PollOutcome>
  /** The poll whose slowness has doubled the interval: once, whatever the number of loops. */
  slowed?: Promise<PollOutcome>
}

/**
 * One `poll()`: joins the loop that runs for this authorization, or starts it. Its signal ends
 * its own wait; the loop stops when no `poll()` waits any more.
 */
function pollDeviceCode(
  core: ClientCore,
  deviceCode: string,
  device: DeviceAuthorization,
  polling: Polling,
  { signal, onPending }: DevicePollOptions,
): Promise<TokenSet> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      leave(polling, waiter)
      reject(new AbortError(undefined, { cause: signal?.reason }))
    }
    const waiter: Waiter = {
      onPending,
      resolve: (tokens) => {
        signal?.removeEventListener('abort', onAbort)
        resolve(tokens)
      },
      reject: (error) => {
        signal?.removeEventListener('abort', onAbort)
        reject(error)
      },
    }
    if (signal?.aborted) return reject(new AbortError(undefined, { cause: signal.reason }))
    signal?.addEventListener('abort', onAbort, { once: true })
    polling.waiters.add(waiter)
    if (polling.loop) return
    const loop = new AbortController()
    polling.loop = loop
    void pollLoop(core, deviceCode, device, polling, loop.signal)
  })
}

/** Takes `waiter` out of the loop's audience; the loop stops with the last one. */
function leave(polling: Polling, waiter: Waiter): void {
  polling.waiters.delete(waiter)
  if (polling.waiters.size > 0) return
  polling.loop?.abort()
  polling.loop = undefined
}

/** Ends the loop with `result` for every waiting `poll()`. */
function settle(polling: Polling, result: { tokens: TokenSet } | { error: unknown }): void {
  const waiters = [...polling.waiters]
  polling.waiters.clear()
  polling.loop = undefined
  for (const waiter of waiters) {
    if ('tokens' in result) waiter.resolve(result.tokens)
    else waiter.reject(result.error)
  }
}

/** Tells every waiting `poll()`; one whose `onPending` throws rejects with what it threw. */
function report(polling: Polling, progress: DevicePollProgress): void {
  for (const waiter of [...polling.waiters]) {
    if (!polling.waiters.has(waiter)) continue
    try {
      waiter.onPending?.(progress)
    } catch (error) {
      leave(polling, waiter)
      waiter.reject(error)
    }
  }
}

/**
 * Polls until the user answers or the code expires, for whoever waits; `stopped` ends it
 * (no `poll()` waits any more) without touching the shared state, and a poll then on its way
 * is left for the next loop.
 */
async function pollLoop(
  core: ClientCore,
  deviceCode: string,
  device: DeviceAuthorization,
  polling: Polling,
  stopped: AbortSignal,
): Promise<void> {
  const clock = core.options.clock
  let wait = device.interval
  for (;;) {
    if (stopped.aborted) return
    if (!polling.inFlight) {
      if (clock.now() / 1000 + wait >= device.expiresAt)
        return settle(polling, { error: expiredError() })
      try {
        await sleep(clock, wait * 1000, stopped)
      } catch {
        return
      }
      if (stopped.aborted) return
      polling.inFlight = sendPoll(core, deviceCode, device)
    }
    const inFlight = polling.inFlight
    let outcome: PollOutcome
    try {
      outcome = await answerOf(clock, inFlight, core.options.timeoutMs, stopped, () => {
        // Slower than timeoutMs: the callers hear of it; the poll goes on.
        if (polling.slowed !== inFlight) {
          polling.slowed = inFlight
          device.interval = Math.min(device.interval * 2, MAX_BACKOFF)
        }
        report(polling, {
          reason: 'backoff',
          interval: device.interval,
          expiresAt: device.expiresAt,
        })
      })
    } catch {
      return
    }
    if (stopped.aborted) return
    polling.inFlight = undefined
    if ('tokens' in outcome) return settle(polling, outcome)
    const { error, response } = outcome
    if (!(error instanceof OpenRpError)) return settle(polling, { error })
    let reason: DevicePollProgress['reason']
    if (error instanceof OAuthError && error.error === 'authorization_pending') {
      reason = 'authorization_pending'
      wait = device.interval
    } else if (error instanceof OAuthError && error.error === 'slow_down') {
      reason = 'slow_down'
      device.interval += 5
      wait = device.interval
    } else if (error.code === 'TIMEOUT') {
      // The poll outlived the device code: nothing more can come of it.
      return settle(polling, { error: expiredError() })
    } else if (isTransient(error, response)) {
      reason = 'backoff'
      const retryAfter = parseRetryAfter(response?.headers.get('retry-after'), clock.now())
      if (retryAfter !== undefined) {
        wait = Math.max(device.interval, Math.min(retryAfter / 1000, MAX_BACKOFF))
      } else {
        // A slow answer has already doubled the interval once for this poll.
        if (polling.slowed !== inFlight)
          device.interval = Math.min(device.interval * 2, MAX_BACKOFF)
        wait = device.interval
      }
    } else {
      return settle(polling, { error })
    }
    report(polling, { reason, interval: wait, expiresAt: device.expiresAt })
  }
}

function expiredError(): OAuthError {
  return new OAuthError(
    { error: 'expired_token', errorDescription: 'The device code expired' },
    'DEVICE_CODE_EXPIRED',
  )
}

/**
 * Sends one poll. It is not bound to `timeoutMs` but to the device code's life (never less than
 * `timeoutMs`): a slow answer may still carry the tokens of a code the provider has spent.
 * Never rejects: the outcome says what came back.
 */
function sendPoll(
  core: ClientCore,
  deviceCode: string,
  device: DeviceAuthorization,
): Promise<PollOutcome> {
  const lifeMs = device.expiresAt * 1000 - core.options.clock.now()
  const patient: ClientCore = {
    ...core,
    options: { ...core.options, timeoutMs: Math.max(core.options.timeoutMs, Math.ceil(lifeMs)) },
  }
  let response: Response | undefined
  return tokenRequest(
    patient,
    {},
    async (http) => {
      response = await oauth.deviceCodeGrantRequest(
        core.metadata,
        core.client,
        core.clientAuth,
        deviceCode,
        http,
      )
      return response
    },
    (answer) => oauth.processDeviceCodeResponse(core.server, core.client, answer),
  ).then(
    (tokens) => ({ tokens }),
    (error: unknown) => ({ error, response }),
  )
}

/**
 * Waits for a sent poll's outcome. `onSlow` runs once if it takes longer than `timeoutMs` (of
 * `clock`); the wait goes on. An aborted `signal` ends the wait with `ABORTED` and leaves the
 * poll running (the caller keeps it for the next loop).
 */
function answerOf(
  clock: Clock,
  inFlight: Promise<PollOutcome>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onSlow: () => void,
): Promise<PollOutcome> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(onSlow, timeoutMs)
    const settle = () => {
      clock.clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const onAbort = () => {
      settle()
      reject(new AbortError(undefined, { cause: signal?.reason }))
    }
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    inFlight.then((outcome) => {
      settle()
      resolve(outcome)
    })
  })
}

function isTransient(error: OpenRpError, last: Response | undefined): boolean {
  if (error.code === 'NETWORK_ERROR') return true
  if (error.code === 'ABORTED') return false
  const status = last?.status
  return status !== undefined && (status === 429 || status >= 500)
}
