/**
 * Regression: the return from the provider's logout reported `returnTo: '/'` whatever the
 * post-logout redirect URI was, so an app landing on `/signed-out` was sent on to `/` by the
 * callback's handler (the React provider's `onRedirectCallback`, or its default
 * `history.replaceState`). `returnTo` is now the path of the page the provider sends the browser
 * back to.
 */
import { describe, expect, it } from 'vitest'
import { ORIGIN, useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

describe('the return from the provider logout', () => {
  it('reports the post-logout page as returnTo', async () => {
    const { spa, navigator } = rp.setup({
      postLogoutRedirectUri: `${ORIGIN}/`,
      allowedPostLogoutRedirectUris: [`${ORIGIN}/`, `${ORIGIN}/signed-out?bye=1`],
    })
    await spa.logout({ returnTo: `${ORIGIN}/signed-out?bye=1`, revoke: false })
    const endSession = new URL(navigator.assigned.at(-1)!)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(
      `${ORIGIN}/signed-out?bye=1`,
    )
    // The provider sends the browser back there, with the state.
    navigator.url = `${ORIGIN}/signed-out?bye=1&state=${endSession.searchParams.get('state')}`
    expect(await spa.handleRedirectCallback()).toEqual({
      type: 'logout',
      returnTo: '/signed-out?bye=1',
    })
    expect(navigator.url).toBe(`${ORIGIN}/signed-out?bye=1`)
  })
})
