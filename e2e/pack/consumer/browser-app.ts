// A browser app's use of @openrp/browser, type-checked with the DOM lib (bundler resolution).
import { createSpaClient, IndexedDbStore } from '@openrp/browser'

export async function main(): Promise<void> {
  const auth = createSpaClient({
    issuer: 'https://op.example.com',
    clientId: 'spa',
    redirectUri: `${location.origin}/`,
    store: new IndexedDbStore(),
  })
  if (auth.isRedirectCallback()) await auth.handleRedirectCallback()
  if (!(await auth.isAuthenticated())) await auth.loginWithRedirect()
}
