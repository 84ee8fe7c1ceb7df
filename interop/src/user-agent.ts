/**
 * The end user's browser, as far as the OP's pages need one: a cookie jar (with `Path` and
 * expiry), redirects followed by hand, and the OP's HTML forms read and submitted. No script
 * runs; the OP's pages that submit themselves (form_post, logout) are submitted here.
 *
 * @module
 */

/** Where a walk through the OP's pages ended. */
export type Arrival =
  /** A redirect to the target: its full URL (query or fragment carry the response). */
  | { kind: 'redirect'; url: URL }
  /** An auto-submitting form to the target (`response_mode=form_post`): its fields. */
  | { kind: 'form_post'; params: URLSearchParams }

interface Cookie {
  name: string
  value: string
  path: string
  expiresAt: number
}

/** A page where the walk stopped: what a user would see. */
export interface Page {
  url: URL
  status: number
  body: string
  forms: HtmlForm[]
}

/** One HTML form of a page: where it posts and its hidden fields. */
export interface HtmlForm {
  action: string
  method: string
  fields: URLSearchParams
}

/**
 * A cookie-jar HTTP client for one end user.
 *
 * @example
 * ```ts
 * const browser = new UserAgent()
 * const arrival = await browser.visit(authorizationUrl, REDIRECT_URI)
 * const tokens = await client.handleAuthorizationResponse(arrival.url, transaction)
 * ```
 */
export class UserAgent {
  readonly #cookies = new Map<string, Cookie>()
  readonly #maxHops: number
  readonly #fetch: typeof fetch

  /**
   * @param options.maxHops redirects and forms followed before giving up (default 20).
   * @param options.fetch the fetch of every request (default the global one), e.g. one that
   *   trusts the test CA of an OP served over HTTPS.
   */
  constructor(options: { maxHops?: number; fetch?: typeof fetch } = {}) {
    this.#maxHops = options.maxHops ?? 20
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init))
  }

  /** One request with this user's cookies; redirects are not followed. */
  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url)
    const headers = new Headers(init.headers)
    const cookie = this.#cookieHeader(target)
    if (cookie) headers.set('cookie', cookie)
    const response = await this.#fetch(target, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) this.#store(line, target)
    return response
  }

  /**
   * Follows the OP's redirects (and submits its self-submitting forms) from `url` until the
   * user agent is sent to `target` (a redirect URI, or a post-logout redirect URI), which is not
   * fetched. Throws, with the page's text, when a page stops the walk.
   */
  async visit(url: string | URL, target: string): Promise<Arrival> {
    const end = await this.#walk({ url: new URL(url) }, target)
    if ('arrival' in end) return end.arrival
    throw new Error(
      `the OP stopped at ${end.url.pathname} (HTTP ${end.status}): ${textOf(end.body)}`,
    )
  }

  /**
   * Follows redirects and self-submitting forms from a request to the page where a user would
   * act (or read), and returns that page.
   */
  async open(url: string | URL, init?: RequestInit): Promise<Page> {
    const end = await this.#walk({ url: new URL(url), init }, undefined)
    if ('arrival' in end) throw new Error('unreachable: no target')
    return end
  }

  async #walk(
    start: { url: URL; init?: RequestInit | undefined },
    target: string | undefined,
  ): Promise<{ arrival: Arrival } | Page> {
    let next = start
    for (let hop = 0; hop < this.#maxHops; hop++) {
      if (target && isAt(next.url, target) && next.init === undefined)
        return { arrival: { kind: 'redirect', url: next.url } }
      const response = await this.request(next.url, next.init)
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        next = { url: new URL(location, next.url) }
        continue
      }
      const body = await response.text()
      // Only pages that submit themselves (form_post responses) go on without a user.
      const form =
        response.ok && SELF_SUBMITTING.test(body) ? readForms(body, next.url)[0] : undefined
      if (form && form.method === 'post') {
        if (target && isAt(new URL(form.action), target))
          return { arrival: { kind: 'form_post', params: form.fields } }
        next = { url: new URL(form.action), init: postForm(form.fields) }
        continue
      }
      return { url: next.url, status: response.status, body, forms: readForms(body, next.url) }
    }
    throw new Error(`more than ${this.#maxHops} hops from ${start.url}`)
  }

  /** POSTs a form (with extra fields, e.g. a button's name and value) and opens the result. */
  submit(form: HtmlForm, extra: Record<string, string> = {}): Promise<Page> {
    const fields = new URLSearchParams(form.fields)
    for (const [key, value] of Object.entries(extra)) fields.set(key, value)
    return this.open(form.action, postForm(fields))
  }

  /** POSTs a form and returns the OP's answer as is (redirects not followed). */
  post(form: HtmlForm, extra: Record<string, string> = {}): Promise<Response> {
    const fields = new URLSearchParams(form.fields)
    for (const [key, value] of Object.entries(extra)) fields.set(key, value)
    return this.request(form.action, postForm(fields))
  }

  #cookieHeader(url: URL): string {
    const now = Date.now()
    const pairs: string[] = []
    for (const [key, cookie] of this.#cookies) {
      if (cookie.expiresAt <= now) {
        this.#cookies.delete(key)
        continue
      }
      if (pathMatches(url.pathname, cookie.path)) pairs.push(`${cookie.name}=${cookie.value}`)
    }
    return pairs.join('; ')
  }

  #store(line: string, url: URL): void {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim())
    const eq = pair.indexOf('=')
    if (eq <= 0) return
    const cookie: Cookie = {
      name: pair.slice(0, eq),
      value: pair.slice(eq + 1),
      path: url.pathname.replace(/\/[^/]*$/, '') || '/',
      expiresAt: Number.POSITIVE_INFINITY,
    }
    for (const attribute of attributes) {
      const [name = '', value = ''] = attribute.split('=')
      const lower = name.toLowerCase()
      if (lower === 'path' && value.startsWith('/')) cookie.path = value
      else if (lower === 'max-age') cookie.expiresAt = Date.now() + Number(value) * 1000
      else if (lower === 'expires') cookie.expiresAt = Date.parse(attribute.slice(8))
    }
    const key = `${cookie.name};${cookie.path}`
    if (cookie.expiresAt <= Date.now()) this.#cookies.delete(key)
    else this.#cookies.set(key, cookie)
  }
}

const SELF_SUBMITTING = /document\.forms\[0\]\.submit\(\)/

function isAt(url: URL, target: string): boolean {
  const at = new URL(target)
  return url.origin === at.origin && url.pathname === at.pathname
}

function pathMatches(path: string, cookiePath: string): boolean {
  if (path === cookiePath) return true
  const prefix = cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`
  return path.startsWith(prefix)
}

function postForm(fields: URLSearchParams): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
  }
}

/**
 * The forms of an HTML page, with their hidden fields (what the OP's pages carry).
 *
 * @example
 * ```ts
 * const [form] = readForms(html, new URL(pageUrl))
 * await browser.post(form, { logout: 'yes' })
 * ```
 */
export function readForms(html: string, base: URL): HtmlForm[] {
  const forms: HtmlForm[] = []
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = match[1] ?? ''
    const fields = new URLSearchParams()
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
      const name = attribute(input[1] ?? '', 'name')
      const type = attribute(input[1] ?? '', 'type') ?? 'text'
      if (name !== undefined && type === 'hidden')
        fields.append(name, attribute(input[1] ?? '', 'value') ?? '')
    }
    forms.push({
      action: new URL(attribute(attributes, 'action') ?? base.href, base).href,
      method: (attribute(attributes, 'method') ?? 'get').toLowerCase(),
      fields,
    })
  }
  return forms
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(attributes)
  return match ? decodeEntities(match[1] ?? '') : undefined
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, entity: string) => {
    const lower = entity.toLowerCase()
    if (lower.startsWith('#x')) return String.fromCodePoint(Number.parseInt(lower.slice(2), 16))
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)))
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower] ?? entity
  })
}

function textOf(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500)
}
