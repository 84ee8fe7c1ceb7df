/**
 * Regression: a logout with no post-logout redirect URI (none configured, none given) still
 * kept a logout transaction in sessionStorage and sent its `state` to the provider, which never
 * sends the browser back to the app: the entry stayed in the tab for good.
 */
import { describe, expect, it } from 'vitest'
import { useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

describe('a logout the provider does not send back', () => {
  it('keeps no transaction and sends no state', async () => {
    const { spa, navigator } = rp.setup()
    await spa.logout({ revoke: false })
    const endSession = new URL(navigator.assigned.at(-1)!)
    expect(endSession.searchParams.has('post_logout_redirect_uri')).toBe(false)
    expect(endSession.searchParams.has('state')).toBe(false)
    expect([...navigator.sessionStorage.items.keys()]).toEqual([])
  })
})
