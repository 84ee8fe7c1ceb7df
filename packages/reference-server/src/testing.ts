/**
 * Test helpers: drive the server's real login and consent pages over HTTP, without a browser,
 * and sign SAML 2.0 assertions as the demo SAML identity provider.
 */
import { base64url } from 'jose'
import { SignedXml } from 'xml-crypto'
import { DEMO_SAML_ISSUER, DEMO_SAML_PRIVATE_KEY_PEM, DEMO_USERS } from './defaults.ts'

/** A minimal cookie jar: name=value pairs from Set-Cookie, sent back on every request. */
export class CookieJar {
  readonly #cookies = new Map<string, string>()

  /** Takes the cookies a response sets (an expired / empty cookie is removed). */
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';')
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))
      if (expired || value === '') this.#cookies.delete(name)
      else this.#cookies.set(name, value)
    }
  }

  /** The Cookie header value, or undefined when empty. */
  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  /** The value of the cookie `name`, if set. */
  get(name: string): string | undefined {
    return this.#cookies.get(name)
  }

  /** Forgets every cookie. */
  clear(): void {
    this.#cookies.clear()
  }
}

/** Options of {@link completeLogin}: who logs in and what they answer on the consent page. */
export interface CompleteLoginOptions {
  /** Defaults to the first demo user, alice. */
  username?: string
  /** Defaults to the demo user's password when `username` is a demo user. */
  password?: string
  /** Approve the consent page when shown (default true). */
  consent?: boolean
  /** Deny at the consent page. */
  deny?: boolean
  /** Keeps the provider session between calls (e.g. for prompt=none afterwards). */
  cookieJar?: CookieJar
}

/** What {@link completeLogin} returns: the authorization response as it reached the redirect URI. */
export interface CompletedLogin {
  /** The final URL at the client's redirect URI (for form_post: the form's action). */
  url: URL
  /** The authorization response parameters, whatever the response mode. */
  params: URLSearchParams
  method: 'query' | 'fragment' | 'form_post'
}

/** Thrown when the login cannot complete (an error page, wrong password, too many redirects). */
export class CompleteLoginError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = 'CompleteLoginError'
    this.code = code
  }
}

function inputs(form: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const tag of form.match(/<input\b[^>]*>/g) ?? []) {
    const name = /\bname="([^"]*)"/.exec(tag)?.[1]
    const value = /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? ''
    if (name) out[unescapeHtml(name)] = unescapeHtml(value)
  }
  return out
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

function formOf(page: string, marker: string): { action: string; body: string } | undefined {
  const match = new RegExp(`<form\\b[^>]*data-openrp="${marker}"[^>]*>([\\s\\S]*?)</form>`).exec(
    page,
  )
  if (!match) return undefined
  const action = /\baction="([^"]*)"/.exec(match[0])?.[1] ?? ''
  return { action: unescapeHtml(action), body: match[1] ?? '' }
}

/**
 * Completes an authorization request the way a user would: follows the redirects, fills in the
 * reference server's login form, answers the consent page, and returns the authorization
 * response delivered to the client's redirect URI (query, fragment or form_post).
 *
 * @example
 * ```ts
 * const { url, transaction } = await client.createAuthorizationRequest()
 * const { params } = await completeLogin(url)
 * const tokens = await client.handleAuthorizationResponse(params, transaction)
 * ```
 */
export async function completeLogin(
  authorizationUrl: string | URL,
  options: CompleteLoginOptions = {},
): Promise<CompletedLogin> {
  const jar = options.cookieJar ?? new CookieJar()
  const start = new URL(authorizationUrl)
  const serverOrigin = start.origin
  let url = start
  let init: RequestInit = { method: 'GET' }
  let loginTried = false
  for (let step = 0; step < 20; step++) {
    const headers = new Headers(init.headers)
    const cookie = jar.header()
    if (cookie) headers.set('cookie', cookie)
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    jar.store(response)
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location')
      if (!location)
        throw new CompleteLoginError('no_location', `redirect without Location from ${url}`)
      const next = new URL(location, url)
      if (next.origin !== serverOrigin) {
        if (next.hash) {
          return { url: next, params: new URLSearchParams(next.hash.slice(1)), method: 'fragment' }
        }
        return { url: next, params: new URLSearchParams(next.search), method: 'query' }
      }
      url = next
      init = { method: 'GET' }
      continue
    }
    const page = await response.text()
    const formPost = formOf(page, 'form_post')
    if (formPost) {
      const params = new URLSearchParams(inputs(formPost.body))
      return { url: new URL(formPost.action), params, method: 'form_post' }
    }
    const login = formOf(page, 'login')
    if (login) {
      if (loginTried) throw new CompleteLoginError('login_failed', 'the login was refused')
      loginTried = true
      const fields = inputs(login.body)
      const username = options.username ?? DEMO_USERS[0]!.username
      fields.username = username
      fields.password =
        options.password ?? DEMO_USERS.find((u) => u.username === username)?.password ?? ''
      url = new URL(login.action, url)
      init = post(fields)
      continue
    }
    const consent = formOf(page, 'consent')
    if (consent) {
      if (options.consent === false && !options.deny) {
        throw new CompleteLoginError('consent_shown', 'the consent page was shown')
      }
      const fields = inputs(consent.body)
      fields.decision = options.deny ? 'deny' : 'approve'
      url = new URL(consent.action, url)
      init = post(fields)
      continue
    }
    const error = /data-openrp-error="([^"]*)"/.exec(page)?.[1]
    throw new CompleteLoginError(
      error ?? 'unexpected_page',
      `unexpected answer ${response.status} from ${url.pathname}${error ? `: ${error}` : ''}`,
    )
  }
  throw new CompleteLoginError('too_many_redirects', 'too many redirects')
}

function post(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  }
}

/** Options of the SAML 2.0 assertion signer for tests of the SAML bearer grant. */
export interface SamlAssertionOptions {
  /** The Subject NameID: the `sub` of the tokens issued for the assertion. */
  subject: string
  /** The AudienceRestriction Audience: the reference server's issuer (or its token endpoint). */
  audience: string
  /** The assertion's Issuer; defaults to {@link DEMO_SAML_ISSUER}. */
  issuer?: string
  /** The bearer SubjectConfirmationData Recipient; defaults to `${audience}/token`. */
  recipient?: string
  /** NotOnOrAfter in seconds from now (Conditions and SubjectConfirmationData); default 300, negative for an expired assertion. */
  notOnOrAfterSec?: number
  /** PEM private key (RSA) that signs; defaults to {@link DEMO_SAML_PRIVATE_KEY_PEM}. */
  privateKey?: string
  /** PEM certificate put in the signature's KeyInfo (the server ignores it: it trusts only its configured certificates). */
  certificate?: string
  /** `false` leaves the assertion unsigned (for refusal tests); default true. */
  signed?: boolean
}

const SIG_RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
const ASSERTION_XPATH = "/*[local-name(.)='Assertion']"

function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

function assertionXml(o: SamlAssertionOptions): string {
  const now = new Date()
  const until = new Date(now.getTime() + (o.notOnOrAfterSec ?? 300) * 1000).toISOString()
  const notBefore = new Date(now.getTime() - 60_000).toISOString()
  const issuer = escapeXml(o.issuer ?? DEMO_SAML_ISSUER)
  const recipient = escapeXml(o.recipient ?? `${o.audience}/token`)
  return [
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${crypto.randomUUID()}" Version="2.0" IssueInstant="${now.toISOString()}">`,
    `<saml:Issuer>${issuer}</saml:Issuer>`,
    '<saml:Subject>',
    `<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${escapeXml(o.subject)}</saml:NameID>`,
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">',
    `<saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${recipient}"/>`,
    '</saml:SubjectConfirmation>',
    '</saml:Subject>',
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${until}">`,
    `<saml:AudienceRestriction><saml:Audience>${escapeXml(o.audience)}</saml:Audience></saml:AudienceRestriction>`,
    '</saml:Conditions>',
    `<saml:AuthnStatement AuthnInstant="${now.toISOString()}"><saml:AuthnContext>`,
    '<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef>',
    '</saml:AuthnContext></saml:AuthnStatement>',
    '</saml:Assertion>',
  ].join('')
}

function signAssertion(xml: string, privateKey: string, certificate?: string): string {
  const sig = new SignedXml({
    privateKey,
    ...(certificate !== undefined && { publicCert: certificate }),
    signatureAlgorithm: SIG_RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  })
  sig.addReference({
    xpath: ASSERTION_XPATH,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', EXC_C14N],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  })
  sig.computeSignature(xml, {
    location: { reference: `${ASSERTION_XPATH}/*[local-name(.)='Issuer']`, action: 'after' },
  })
  return sig.getSignedXml()
}

/**
 * A SAML 2.0 assertion for the RFC 7522 bearer grant, enveloped-signed (RSA-SHA256, exclusive
 * C14N) by the demo SAML identity provider, which the server trusts by default; returned
 * base64url-encoded, ready to be the `assertion` parameter. Options make it wrong on purpose
 * (another key, an expired one, another audience or recipient, unsigned).
 *
 * @example
 * ```ts
 * const assertion = createSamlAssertion({ subject: 'saml-user-7', audience: server.issuer })
 * const tokens = await client.saml2Bearer({ assertion, scope: 'api:read' })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7522.html
 */
export function createSamlAssertion(options: SamlAssertionOptions): string {
  const xml = assertionXml(options)
  const out =
    options.signed === false
      ? xml
      : signAssertion(xml, options.privateKey ?? DEMO_SAML_PRIVATE_KEY_PEM, options.certificate)
  return base64url.encode(out)
}

/** A client's back-channel logout endpoint for tests: it keeps every logout token posted. */
export interface LogoutReceiver {
  /** The `backchannel_logout_uri` to register (http://127.0.0.1:<port>/backchannel-logout). */
  url: string
  /** The `logout_token` of each POST received, in order. */
  tokens: string[]
  /** Stops the receiver. */
  close(): Promise<void>
}

/**
 * Starts a {@link LogoutReceiver} on 127.0.0.1 (a free port); it answers every POST with 200.
 *
 * @example
 * ```ts
 * const receiver = await startLogoutReceiver()
 * const server = await startReferenceServer({
 *   clients: [{ ...spa, backchannel_logout_uri: receiver.url }],
 * })
 * ```
 */
export async function startLogoutReceiver(): Promise<LogoutReceiver> {
  const { createServer } = await import('node:http')
  const tokens: string[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      tokens.push(new URLSearchParams(body).get('logout_token') ?? '')
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/backchannel-logout`,
    tokens,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
