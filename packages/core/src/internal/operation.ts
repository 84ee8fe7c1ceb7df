/**
 * Runs one protocol operation: a deadline, the fetch policy, and error mapping in one frame.
 *
 * @module
 */
import * as oauth from 'oauth4webapi'
import type { ClientCore } from '../client-core.ts'
import { type Deadline, withDeadline } from './deadline.ts'
import { createFetch, type FetchLike } from './http.ts'
import { type ErrorContext, mapErrorAsync } from './map-error.ts'

/** Options every oauth4webapi request gets (our fetch, our HTTPS policy). */
export interface HttpOptions {
  [oauth.customFetch]: FetchLike
  [oauth.allowInsecureRequests]: true
}

export interface OperationSettings {
  signal?: AbortSignal | undefined
  /** Idempotent requests only: retry on network errors, 5xx and 429. */
  retry: boolean
  context: ErrorContext
}

/** Runs `fn` with a fresh deadline and maps every error it throws. */
export function operation<T>(
  core: Pick<ClientCore, 'options'>,
  settings: OperationSettings,
  fn: (http: HttpOptions, deadline: Deadline) => Promise<T>,
): Promise<T> {
  return withDeadline(core.options.timeoutMs, settings.signal, async (deadline) => {
    const http: HttpOptions = {
      [oauth.customFetch]: createFetch(core.options, deadline, { retry: settings.retry }),
      [oauth.allowInsecureRequests]: true,
    }
    try {
      return await fn(http, deadline)
    } catch (error) {
      throw await mapErrorAsync(error, settings.context)
    }
  })
}
