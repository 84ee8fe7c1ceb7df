/** The demo's pages: home (sign in, who is signed in), a protected page with an API call. */
import type { OpenRpError } from '@openrp/core'
import { RequireAuth, type RequireAuthErrorProps, useAccessToken, useAuth } from '@openrp/react'
import { useEffect, useState } from 'react'
import { Link, Route, Routes } from 'react-router'
import type { DemoConfig } from './main.tsx'

export function App({ config }: { config: DemoConfig }) {
  return (
    <>
      <header className="topbar">
        <span className="brand">
          <strong>openrp</strong> React demo{' '}
          <span className="muted" data-testid="build-mode">
            {process.env.NODE_ENV}
          </span>
        </span>
        <nav>
          <Link to="/" data-testid="nav-home">
            Home
          </Link>
          <Link to="/protected" data-testid="nav-protected">
            Protected
          </Link>
        </nav>
        <Status />
      </header>
      <main>
        <Routes>
          <Route path="/" element={<Home />} />
          <Route
            path="/protected"
            element={
              <RequireAuth
                fallback={<p data-testid="require-auth-fallback">Signing you in…</p>}
                errorFallback={(props) => <SignInProblem {...props} />}
              >
                <Protected apiUrl={config.apiUrl} />
              </RequireAuth>
            }
          />
        </Routes>
      </main>
    </>
  )
}

function Status() {
  const { status, user } = useAuth()
  return (
    <span className="status" data-testid="status" data-state={status}>
      {status === 'signedIn' ? `${String(user?.name ?? user?.sub)}` : status}
    </span>
  )
}

function Home() {
  const { status, user, error, loginWithRedirect, loginWithPopup, logout } = useAuth()
  const [popupError, setPopupError] = useState<OpenRpError | undefined>()
  if (status === 'loading') return <p data-testid="loading">Loading…</p>
  return (
    <section className="card">
      {status === 'error' && <ErrorBanner error={error} />}
      {status === 'signedOut' && error && (
        <p className="muted" data-testid="session-ended" data-code={error.code}>
          Your session ended ({error.code}). Sign in again.
        </p>
      )}
      {popupError && <ErrorBanner error={popupError} />}
      {status === 'signedIn' ? (
        <>
          <h1>
            Hello, <span data-testid="user-name">{String(user?.name)}</span>
          </h1>
          <p className="muted">
            sub <code data-testid="user-sub">{user?.sub}</code>
          </p>
          <TokenFingerprint />
          <button type="button" data-testid="logout" onClick={() => void logout()}>
            Sign out
          </button>
        </>
      ) : (
        <>
          <h1>Sign in to the reference provider</h1>
          <p>
            Test user <strong>alice / wonderland</strong>.
          </p>
          <button
            type="button"
            data-testid="login-redirect"
            onClick={() => void loginWithRedirect()}
          >
            Sign in with redirect
          </button>
          <button
            type="button"
            data-testid="login-popup"
            onClick={() => {
              setPopupError(undefined)
              loginWithPopup().catch((e: OpenRpError) => setPopupError(e))
            }}
          >
            Sign in with popup
          </button>
        </>
      )}
    </section>
  )
}

function Protected({ apiUrl }: { apiUrl: string }) {
  const { fetch, user } = useAuth()
  const [result, setResult] = useState<{ status: number; body: string } | undefined>()
  const [failure, setFailure] = useState<OpenRpError | undefined>()
  return (
    <section className="card" data-testid="protected">
      <h1>Protected page</h1>
      <p>Only {String(user?.name)} sees this.</p>
      <button
        type="button"
        data-testid="call-api"
        onClick={() => {
          setFailure(undefined)
          fetch(apiUrl)
            .then(async (response) =>
              setResult({ status: response.status, body: await response.text() }),
            )
            .catch((e: OpenRpError) => setFailure(e))
        }}
      >
        Call API <code>GET /api/me</code>
      </button>
      {failure && <ErrorBanner error={failure} />}
      {result && (
        <pre className="code" data-testid="api-result" data-status={result.status}>
          {result.body}
        </pre>
      )}
    </section>
  )
}

function SignInProblem({ status, error, retry }: RequireAuthErrorProps) {
  return (
    <section className="card">
      <ErrorBanner error={error} status={status} />
      <button type="button" data-testid="retry-login" onClick={retry}>
        Sign in again
      </button>
    </section>
  )
}

function ErrorBanner({ error, status }: { error: OpenRpError | undefined; status?: string }) {
  const code = error?.code ?? (status === 'signedOut' ? 'SIGNED_OUT' : 'UNKNOWN')
  return (
    <div className="banner error" role="alert" data-testid="error" data-code={code}>
      <strong>Sign-in problem</strong> <code data-testid="error-code">{code}</code>
      <p data-testid="error-message">{error?.message ?? 'You are signed out.'}</p>
    </div>
  )
}

/** First 8 bytes of SHA-256 of the access token, hex: compare tabs without showing tokens. */
function TokenFingerprint() {
  const { accessToken } = useAccessToken()
  const [fingerprint, setFingerprint] = useState('')
  useEffect(() => {
    if (!accessToken) return
    let active = true
    void crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)).then((digest) => {
      const hex = [...new Uint8Array(digest).slice(0, 8)].map((b) =>
        b.toString(16).padStart(2, '0'),
      )
      if (active) setFingerprint(hex.join(''))
    })
    return () => {
      active = false
    }
  }, [accessToken])
  return (
    <p className="muted">
      Access token fingerprint <code data-testid="access-token-fingerprint">{fingerprint}</code>
    </p>
  )
}
