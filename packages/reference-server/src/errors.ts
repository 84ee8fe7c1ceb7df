/** RFC 6749 §5.2 error answers. */
import type { Context } from 'hono'

/** An OAuth error to send to the client (thrown inside handlers, answered by `oauthErrorResponse`). */
export class OAuthHttpError extends Error {
  readonly error: string
  readonly status: number
  readonly headers: Record<string, string>

  constructor(
    error: string,
    description: string,
    status = 400,
    headers: Record<string, string> = {},
  ) {
    super(description)
    this.name = 'OAuthHttpError'
    this.error = error
    this.status = status
    this.headers = headers
  }
}

/** `invalid_client` with the 401 Basic challenge RFC 6749 §5.2 asks for. */
export function invalidClient(description: string): OAuthHttpError {
  return new OAuthHttpError('invalid_client', description, 401, {
    'WWW-Authenticate': 'Basic realm="openrp", charset="UTF-8"',
  })
}

export function invalidRequest(description: string): OAuthHttpError {
  return new OAuthHttpError('invalid_request', description)
}

export function invalidGrant(description: string): OAuthHttpError {
  return new OAuthHttpError('invalid_grant', description)
}

/** Answers an error as RFC 6749 JSON (`error`, `error_description`), never cached. */
export function oauthErrorResponse(c: Context, err: unknown): Response {
  if (err instanceof OAuthHttpError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v)
    c.header('Cache-Control', 'no-store')
    return c.json(
      { error: err.error, error_description: err.message },
      err.status as 400 | 401 | 403 | 500,
    )
  }
  console.error('reference-server: unexpected error', err)
  c.header('Cache-Control', 'no-store')
  return c.json({ error: 'server_error', error_description: 'internal error' }, 500)
}
