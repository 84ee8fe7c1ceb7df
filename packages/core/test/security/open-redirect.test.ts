/**
 * Open redirects: where the app sends the user after login (`returnTo`) or logout
 * (`post_logout_redirect_uri`) is checked against an allowlist, never taken from the request.
 */
import { describe, expect, it } from 'vitest'
import { checkPostLogoutTarget, checkReturnTo } from '../../../browser/src/return-to.ts'
import { useProvider } from './harness.ts'

const ORIGIN = 'http://127.0.0.1:4001'
const notAllowed = expect.objectContaining({ code: 'REDIRECT_NOT_ALLOWED' })

describe('returnTo after login', () => {
  it.each([
    'https://evil.example/phish',
    '//evil.example/phish',
    '/\\evil.example/phish',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'http://127.0.0.1:4002/callback',
    'http://127.0.0.1:4001@evil.example/',
  ])('refuses %s (another origin)', (target) => {
    expect(() => checkReturnTo(target, ORIGIN, undefined)).toThrow(notAllowed)
  })

  it.each(['/admin', '/app/../admin', '/apps', '/app'])(
    'refuses %s outside the allowlist [/app/, /settings]',
    (target) => {
      expect(() => checkReturnTo(target, ORIGIN, ['/app/', '/settings'])).toThrow(notAllowed)
    },
  )

  it('keeps an allowed path with its query and fragment', () => {
    expect(checkReturnTo('/app/inbox?tab=2#top', ORIGIN, ['/app/'])).toBe('/app/inbox?tab=2#top')
    expect(checkReturnTo('/settings', ORIGIN, ['/app/', '/settings'])).toBe('/settings')
  })
})

describe('post-logout targets', () => {
  const allowed = [`${ORIGIN}/`, `${ORIGIN}/signed-out`]

  it.each([
    'https://evil.example/',
    `${ORIGIN}/signed-out/../../evil`,
    `${ORIGIN}/signed-out?next=https://evil.example`,
    `${ORIGIN}`,
    `${ORIGIN}/SIGNED-OUT`,
  ])('refuses %s (not an exact registered match)', (target) => {
    expect(() => checkPostLogoutTarget(target, allowed)).toThrow(notAllowed)
  })

  it('accepts an exact registered target', () => {
    expect(checkPostLogoutTarget(`${ORIGIN}/signed-out`, allowed)).toBe(`${ORIGIN}/signed-out`)
  })
})

describe('the provider side of the same rule', () => {
  const p = useProvider()

  it('the reference server refuses an unregistered post_logout_redirect_uri (no redirect)', async () => {
    const client = await p.spa()
    const url = client.endSessionUrl({ postLogoutRedirectUri: 'https://evil.example/' })
    const res = await fetch(url, { redirect: 'manual' })
    await res.arrayBuffer()
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
  })
})
