/**
 * Server rendering: the package imports without `window`, and a server render (where no
 * SpaClient can exist) shows `loading`, RequireAuth's fallback, and nothing protected.
 */
import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { AuthProvider, RequireAuth, useAccessToken, useAuth } from '../src/index.ts'

function Status() {
  const { status, user } = useAuth()
  const { accessToken, loading } = useAccessToken()
  return createElement(
    'p',
    null,
    `status=${status} user=${String(user)} token=${String(accessToken)} loading=${loading}`,
  )
}

const options = {
  issuer: 'https://op.example.test',
  clientId: 'spa',
  redirectUri: 'https://app.example.test/',
}

describe('server rendering', () => {
  it('runs where there is no window', () => {
    expect(typeof window).toBe('undefined')
  })

  it('renders loading, with no user and no token', () => {
    const html = renderToString(createElement(AuthProvider, { options }, createElement(Status)))
    expect(html).toContain('status=loading user=undefined token=undefined loading=true')
  })

  it("renders RequireAuth's fallback, never the protected content", () => {
    const html = renderToString(
      createElement(
        AuthProvider,
        { options },
        createElement(
          RequireAuth,
          { fallback: createElement('p', null, 'checking your session') },
          createElement('p', null, 'secret'),
        ),
      ),
    )
    expect(html).toContain('checking your session')
    expect(html).not.toContain('secret')
  })

  it('refuses useAuth() without a provider with INVALID_ARGUMENT', () => {
    expect(() => renderToString(createElement(Status))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })
})
