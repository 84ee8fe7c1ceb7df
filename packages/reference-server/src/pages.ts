/**
 * The server's HTML pages: login, consent, device user code, logout, errors and the
 * form_post auto-submit page. Forms carry `data-openrp` markers that `completeLogin` uses.
 */
import { html, raw } from 'hono/html'

type Html = ReturnType<typeof html>

const STYLE = raw(`<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { display: grid; place-items: center; min-height: 100vh; min-height: 100dvh; margin: 0;
    background: #f4f5f7; }
  main { background: #fff; color: #1d2230; padding: 2rem 2.25rem; border-radius: 12px;
    box-shadow: 0 2px 16px rgb(0 0 0 / 0.08); width: min(24rem, 90vw); box-sizing: border-box; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  label { display: block; margin: .75rem 0 .25rem; font-size: .9rem; }
  /* 16px and more: phones do not zoom into the field. */
  input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .55rem;
    border: 1px solid #c5c9d3; border-radius: 6px; font-size: max(1rem, 16px); min-height: 44px; }
  input.user-code { font-size: 1.4rem; letter-spacing: .12em; text-transform: uppercase;
    font-family: ui-monospace, monospace; text-align: center; }
  button { margin-top: 1.1rem; padding: .6rem 1.2rem; border: 0; border-radius: 6px; font-size: 1rem;
    background: #2f5bea; color: #fff; cursor: pointer; min-height: 44px; }
  button.secondary { background: #e3e6ee; color: #1d2230; margin-left: .5rem; }
  .error { color: #b3261e; background: #fdecea; padding: .5rem .75rem; border-radius: 6px; }
  .muted { color: #5b6275; font-size: .85rem; }
  ul { padding-left: 1.2rem; }
  code { font-size: 1.1rem; letter-spacing: .08em; }
  .shown-code { display: block; text-align: center; font: 700 1.8rem/1.2 ui-monospace, monospace;
    letter-spacing: .12em; padding: .6rem; margin: .5rem 0 1rem; border-radius: 8px;
    background: #eef1fb; color: #1d2230; }
  /* Phones: the card fills the screen, buttons are full-width touch targets. */
  @media (max-width: 30rem) {
    body { place-items: start stretch; background: #fff; }
    main { width: 100%; border-radius: 0; box-shadow: none; padding: 1.5rem 1.25rem; }
    form button { display: block; width: 100%; }
    button.secondary { margin-left: 0; }
  }
</style>`)

function layout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · openrp reference server</title>${STYLE}</head>
<body><main>${body}</main></body>
</html>`
}

export function loginPage(p: {
  interaction: string
  clientName: string
  loginHint?: string
  error?: string
  /** For a device login: the code the device shows, repeated so the user can check it. */
  userCode?: string
}): Html {
  return layout(
    'Sign in',
    html`<h1>Sign in to ${p.clientName}</h1>
${p.userCode ? html`<p>To connect the device showing</p><code class="shown-code" data-openrp="user-code">${p.userCode}</code>` : ''}
${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ''}
<form method="post" action="/login" data-openrp="login">
  <input type="hidden" name="interaction" value="${p.interaction}">
  <label for="username">Username</label>
  <input type="text" id="username" name="username" autocomplete="username" value="${p.loginHint ?? ''}" required autofocus>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
<p class="muted">Test users: alice / wonderland, bob / builder.</p>`,
  )
}

export function consentPage(p: {
  interaction: string
  clientName: string
  scopes: string[]
}): Html {
  return layout(
    'Consent',
    html`<h1>${p.clientName} asks for access</h1>
<p>It will be able to:</p>
<ul>${p.scopes.map((s) => html`<li><code>${s}</code></li>`)}</ul>
<form method="post" action="/consent" data-openrp="consent">
  <input type="hidden" name="interaction" value="${p.interaction}">
  <button type="submit" name="decision" value="approve">Allow</button>
  <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  )
}

export function errorPage(error: string, description: string): Html {
  return layout(
    'Error',
    html`<h1>Request refused</h1>
<p class="error" data-openrp-error="${error}"><strong>${error}</strong>: ${description}</p>`,
  )
}

/** The OAuth 2.0 Form Post Response Mode page: auto-submits `params` to `action`. */
export function formPostPage(action: string, params: Record<string, string>): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Submitting…</title></head>
<body>
<form method="post" action="${action}" data-openrp="form_post">
${Object.entries(params).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script>document.forms[0].submit()</script>
</body></html>`
}

/**
 * The verification page (RFC 8628 §3.3): the user types the code the device shows. The code is
 * filled in when known (`verification_uri_complete` with an unknown or expired code, so the user
 * sees what was tried).
 */
export function deviceEntryPage(p: { error?: string; userCode?: string }): Html {
  return layout(
    'Connect a device',
    html`<h1>Connect a device</h1>
${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ''}
<form method="get" action="/device" data-openrp="device-entry">
  <label for="user_code">Code shown on your device</label>
  <input type="text" id="user_code" name="user_code" class="user-code" value="${p.userCode ?? ''}" placeholder="XXXX-XXXX" autocomplete="off" autocapitalize="characters" autocorrect="off" spellcheck="false" enterkeyhint="go" required autofocus>
  <button type="submit">Continue</button>
</form>`,
  )
}

/**
 * The verification page's answer to a source that entered too many wrong codes (RFC 8628 §5.1):
 * no form, only when to come back.
 */
export function deviceRateLimitedPage(p: { retryAfterSec: number }): Html {
  const minutes = Math.ceil(p.retryAfterSec / 60)
  const wait =
    p.retryAfterSec < 60
      ? `${p.retryAfterSec} seconds`
      : `${minutes} minute${minutes === 1 ? '' : 's'}`
  return layout(
    'Too many attempts',
    html`<h1>Too many attempts</h1>
<p class="error" role="alert" data-openrp="device-rate-limited">Too many wrong codes were entered. Try again in ${wait}.</p>`,
  )
}

export function deviceConfirmPage(p: {
  userCode: string
  clientName: string
  scopes: string[]
}): Html {
  return layout(
    'Connect a device',
    html`<h1>Allow ${p.clientName}?</h1>
<p>Check that your device shows this code:</p>
<code class="shown-code" data-openrp="user-code">${p.userCode}</code>
<p>It will be able to:</p>
<ul>${p.scopes.map((s) => html`<li><code>${s}</code></li>`)}</ul>
<form method="post" action="/device" data-openrp="device-confirm">
  <input type="hidden" name="user_code" value="${p.userCode}">
  <button type="submit" name="decision" value="approve">Allow</button>
  <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  )
}

/** "Sign out?" for a logout request without id_token_hint (RP-Initiated Logout §2). */
export function logoutConfirmPage(params: Record<string, string>): Html {
  return layout(
    'Sign out?',
    html`<h1>Sign out?</h1>
<p>An application asks to end your session at the reference server.</p>
<form method="post" action="/end_session" data-openrp="logout-confirm">
  ${Object.entries(params).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
  <button type="submit" name="decision" value="logout">Sign out</button>
  <button type="submit" name="decision" value="stay" class="secondary">Stay signed in</button>
</form>`,
  )
}

export function messagePage(title: string, message: string): Html {
  return layout(title, html`<h1>${title}</h1><p data-openrp="message">${message}</p>`)
}
