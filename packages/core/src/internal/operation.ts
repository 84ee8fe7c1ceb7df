/**
 * Runs one protocol operation: a deadline, the fetch policy, and error mapping in one frame.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from '../client-core.ts'
import { InvalidArgumentError } from '../errors.ts'
import { type Deadline, withDeadline } from './deadline.ts'
import { type FetchLike, withRetries } from './http.ts'
import { type ErrorContext, mapErrorAsync } from './map-error.ts'

/** Options every oauth4webapi request gets (our fetch, our HTTPS policy). */
export interface HttpOptions {
  [oauth.customFetch]: FetchLike
  [oauth.allowInsecureRequests]: true
}

export interface OperationSettings {
  signal?: AbortSignal | undefined
  /**
   * Idempotent operations only: on network errors, 5xx and 429 run `fn` again (each attempt
   * builds its request anew).
   */
  retry: boolean
  /** A 200's body is unused: one over the size cap is dropped, not refused (see RequestPolicy). */
  ignoreOkBody?: boolean
  context: ErrorContext
  /** This operation's deadline instead of the client's `timeoutMs`. */
  timeoutMs?: number | undefined
}

/** Runs `fn` with a fresh deadline (one for all its attempts) and maps every error it throws. */
export function operation<T>(
  core: Pick<ClientCore, 'options'>,
  settings: OperationSettings,
  fn: (http: HttpOptions, deadline: Deadline) => Promise<T>,
): Promise<T> {
  const { timeoutMs = core.options.timeoutMs } = settings
  // A NaN or negative deadline fires at once, after the request went out (a code or refresh
  // token spent, its answer dropped): refused before anything is sent.
  if (!(typeof timeoutMs === 'number' && timeoutMs >= 0))
    return Promise.reject(new InvalidArgumentError('timeoutMs must be a number, 0 or more'))
  return withDeadline(
    timeoutMs,
    settings.signal,
    async (deadline) => {
      try {
        // A retry runs `fn` again: a new request with a fresh client assertion and DPoP proof.
        return await withRetries(core.options, deadline, settings, (fetch) =>
          fn({ [oauth.customFetch]: fetch, [oauth.allowInsecureRequests]: true }, deadline),
        )
      } catch (error) {
        throw await mapErrorAsync(error, settings.context, core.options.clock.now())
      }
    },
    core.options.clock,
  )
}
