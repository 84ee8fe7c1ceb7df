/**
 * Test harness: React's own test renderer (no DOM, Node environment) around SpaClients that
 * talk to the real reference server over HTTP. The browser surface (address bar, full-page
 * navigation) is a scripted SpaNavigator; the provider's login form is filled by the reference
 * server's `completeLogin`, as a browser would. Real Chromium runs are in e2e/tests/react-*.
 */
import type { FrameHandle, PopupHandle, ReceivedMessage, SpaNavigator } from '@openrp/browser'
import { SpaClient } from '@openrp/browser'
import { InProcessLock, type Lock, MemoryStore } from '@openrp/core'
import {
  CookieJar,
  completeLogin,
  DEMO_CLIENTS,
  type ReferenceServer,
  startReferenceServer,
} from '@openrp/reference-server'
import { act, createElement, type ReactNode, StrictMode } from 'react'
import { create, type ReactTestRenderer } from 'react-test-renderer'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { type AuthContextValue, useAuth } from '../src/index.ts'

// React checks that updates in tests are wrapped in act().
;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true
// React 19 keeps react-test-renderer but prints a deprecation notice on every create(); the
// issue asks for React's own renderer (no DOM), so that one line is dropped, nothing else.
const consoleError = console.error
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('react-test-renderer is deprecated')) return
  consoleError(...args)
}

export const ORIGIN = 'http://127.0.0.1:4001'

/** The address bar, history and full-page navigations of one tab, scripted. */
export class ScriptedNavigator implements SpaNavigator {
  url = `${ORIGIN}/`
  readonly assigned: string[] = []
  readonly #items = new Map<string, string>()
  readonly sessionStorage = {
    getItem: (key: string) => this.#items.get(key) ?? null,
    setItem: (key: string, value: string) => void this.#items.set(key, value),
    removeItem: (key: string) => void this.#items.delete(key),
  }
  origin(): string {
    return ORIGIN
  }
  currentUrl(): string {
    return this.url
  }
  assign(url: string): void {
    this.assigned.push(url)
  }
  replaceUrl(url: string): void {
    this.url = new URL(url, this.url).toString()
  }
  openPopup(): PopupHandle | undefined {
    return undefined
  }
  createHiddenFrame(): FrameHandle {
    throw new Error('no hidden frames in these tests')
  }
  onMessage(_listener: (message: ReceivedMessage) => void): () => void {
    return () => {}
  }
}

/** One reference server per test file; SpaClients closed and the request log cleared after each test. */
export function referenceServerPerFile() {
  let server: ReferenceServer | undefined
  const clients: SpaClient[] = []
  const renderers: ReactTestRenderer[] = []
  beforeAll(async () => {
    server = await startReferenceServer({
      port: 0,
      clients: DEMO_CLIENTS,
      enableControlEndpoint: true,
      // These tests are about React, not consent: refresh tokens without prompt=consent.
      offlineAccessWithoutConsent: true,
    })
  })
  afterAll(async () => {
    await server?.close()
  })
  afterEach(async () => {
    for (const renderer of renderers.splice(0)) await act(async () => renderer.unmount())
    for (const client of clients.splice(0)) client.close()
    server?.control.resetFaults()
    server?.control.clearRequests()
  })
  const rp = {
    get server(): ReferenceServer {
      if (!server) throw new Error('the reference server is not started yet')
      return server
    },
    /** The store key of tab()'s sessions without a `storageKey` (clientId `spa`, this issuer). */
    get key(): string {
      return `openrp:spa@${new URL(rp.server.issuer).href}`
    },
    /**
     * A tab: a `spa` SpaClient on a scripted navigator, in-memory store, no timers. Another
     * `storageKey` is another session (its own store key and cross-tab channel).
     */
    tab(shared: { store?: MemoryStore; lock?: Lock; scope?: string; storageKey?: string } = {}) {
      const navigator = new ScriptedNavigator()
      const client = new SpaClient({
        issuer: rp.server.issuer,
        clientId: 'spa',
        redirectUri: `${ORIGIN}/`,
        postLogoutRedirectUri: `${ORIGIN}/`,
        scope: shared.scope ?? 'openid profile email offline_access api:read',
        store: shared.store ?? new MemoryStore(),
        lock: shared.lock ?? new InProcessLock(),
        navigator,
        storageKey: shared.storageKey,
        autoRefresh: false,
        silent: false,
      })
      clients.push(client)
      return { client, navigator }
    },
    /** Renders `element` in StrictMode (effects run twice, as in development builds). */
    async render(element: ReactNode): Promise<ReactTestRenderer> {
      let renderer: ReactTestRenderer | undefined
      await act(async () => {
        renderer = create(createElement(StrictMode, null, element))
      })
      renderers.push(renderer!)
      return renderer!
    },
    /** Token requests that reached the server (every grant). */
    tokenRequests: () => rp.server.control.requests({ endpoint: 'token' }),
  }
  return rp
}

/**
 * Starts a redirect login on `client` and goes through the provider's form; leaves the
 * navigator's address bar on the callback URL, as the browser would after the redirect.
 */
export async function loginAtProvider(
  client: SpaClient,
  navigator: ScriptedNavigator,
  options: Parameters<SpaClient['loginWithRedirect']>[0] = {},
  jar = new CookieJar(),
): Promise<string> {
  await client.loginWithRedirect(options)
  const done = await completeLogin(navigator.assigned.at(-1)!, { cookieJar: jar })
  navigator.url = done.url.toString()
  return navigator.url
}

/** Every value `useAuth()` rendered, in order (filled by {@link AuthProbe}). */
export class Rendered {
  readonly seen: AuthContextValue[] = []
  get last(): AuthContextValue {
    const last = this.seen.at(-1)
    if (!last) throw new Error('nothing rendered yet')
    return last
  }
  statuses(): string[] {
    return this.seen.map((s) => s.status)
  }
}

/** Renders `useAuth().status` and records each value in `rendered`. */
export function AuthProbe({ rendered }: { rendered: Rendered }): ReactNode {
  const auth = useAuth()
  rendered.seen.push(auth)
  return createElement('p', { 'data-status': auth.status }, auth.status)
}

/**
 * Lets real I/O (HTTP to the reference server) and React updates run until `done()` holds.
 * Fails after `timeoutMs` with `what`.
 */
export async function until(done: () => boolean, what: string, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await act(() => new Promise((resolve) => setTimeout(resolve, 10)))
  }
}

/** Lets pending promise jobs and timers run inside act(), without waiting for anything. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await act(() => new Promise((resolve) => setTimeout(resolve, 0)))
}

/**
 * Revokes `refreshToken` at the provider (RFC 7009), as an administrator ending the session
 * would: the next refresh is refused with `invalid_grant`.
 */
export async function revokeAtProvider(issuer: string, refreshToken: string): Promise<void> {
  const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    revocation_endpoint: string
  }
  const response = await fetch(metadata.revocation_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      token: refreshToken,
      token_type_hint: 'refresh_token',
      client_id: 'spa',
    }),
  })
  if (!response.ok) throw new Error(`revocation failed: ${response.status}`)
}
