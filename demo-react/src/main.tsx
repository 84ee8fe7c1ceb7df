/**
 * The React demo: @openrp/react with React Router, a protected route and an API call, in
 * StrictMode (development builds run effects twice; production builds once). See ../README.md
 * for the data-testid selectors the e2e suite relies on.
 */
import { createSpaClient, type SpaClient, spaUserinfo } from '@openrp/browser'
import { AuthProvider } from '@openrp/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { BrowserRouter, useNavigate } from 'react-router'
import { App } from './app.tsx'

/** What the demo server tells the page (`/config.json`). */
export interface DemoConfig {
  issuer: string
  apiUrl: string
  clientId: string
}

declare global {
  interface Window {
    /** The live SpaClient and the build mode, for tests and devtools. */
    openrpDemo?: { spa: SpaClient; config: DemoConfig; mode: string }
  }
}

function Root({ spa, config }: { spa: SpaClient; config: DemoConfig }) {
  const navigate = useNavigate()
  return (
    <AuthProvider
      client={spa}
      onRedirectCallback={(returnTo) => navigate(returnTo, { replace: true })}
    >
      <App config={config} />
    </AuthProvider>
  )
}

async function start(): Promise<void> {
  const config = (await (await fetch('/config.json')).json()) as DemoConfig
  const origin = window.location.origin
  const spa = createSpaClient({
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: `${origin}/`,
    popupRedirectUri: `${origin}/popup-callback.html`,
    silentRedirectUri: `${origin}/silent-callback.html`,
    postLogoutRedirectUri: `${origin}/`,
    scope: 'openid profile email offline_access api:read',
    // Conformant providers put the name at userinfo, not in the code flow's ID token.
    userinfo: spaUserinfo,
  })
  window.openrpDemo = { spa, config, mode: process.env.NODE_ENV ?? 'production' }
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <BrowserRouter>
        <Root spa={spa} config={config} />
      </BrowserRouter>
    </StrictMode>,
  )
}

void start()
