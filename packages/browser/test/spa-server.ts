/**
 * Shared setup of the SpaClient tests that run against the real reference server over HTTP:
 * one server per file (faults and the request log reset after each test), and SpaClients on
 * the scripted navigator with a MemoryStore, an InProcessLock and no automatic refresh, closed
 * after each test.
 */
import { InProcessLock, MemoryStore, type Store, type TokenSetJSON } from '@openrp/core'
import {
  DEMO_CLIENTS,
  type ReferenceServer,
  type ReferenceServerOptions,
  startReferenceServer,
} from '@openrp/reference-server'
import { fixedKeyPairs } from '@openrp/testkit'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { CALLBACK_MESSAGE_TYPE } from '../src/callback-message.ts'
import { createSpaClient, type SpaClient } from '../src/spa-client.ts'
import type { SpaEvents } from '../src/spa-events.ts'
import type { SpaClientOptions } from '../src/spa-options.ts'
import { ScriptedNavigator } from './spa-fakes.ts'

/** The app's origin (the scripted navigator starts at its root). */
export const ORIGIN = 'http://127.0.0.1:4001'

export interface SpaServer {
  /** The file's reference server (set once `beforeAll` ran). */
  readonly server: ReferenceServer
  /** The store key of the session of setup()'s clients (clientId `spa`, this server's issuer). */
  readonly key: string
  /**
   * A `spa` client over the scripted navigator; `options` override the file's defaults. The
   * store is `options.store` or a new MemoryStore.
   */
  setup(options?: Partial<SpaClientOptions> & { store?: MemoryStore }): {
    spa: SpaClient
    navigator: ScriptedNavigator
    store: MemoryStore
  }
  /** Closes `spa` after the test. */
  track(spa: SpaClient): void
}

/** Starts the reference server (demo clients) for the file; `defaults` apply to every setup(). */
export function useSpaServer(
  serverOptions: Omit<ReferenceServerOptions, 'port' | 'clients'> = {},
  defaults: Partial<SpaClientOptions> = {},
): SpaServer {
  let server: ReferenceServer | undefined
  const clients: SpaClient[] = []
  beforeAll(async () => {
    // These tests are about the SDK's sessions and renewals, not the provider's offline_access
    // policy: refresh tokens come without prompt=consent (the e2e suite and the browser README
    // cover providers that want prompt=consent, OpenID Connect Core §11).
    server = await startReferenceServer({
      port: 0,
      clients: DEMO_CLIENTS,
      generateKeyPair: fixedKeyPairs(),
      offlineAccessWithoutConsent: true,
      ...serverOptions,
    })
  })
  afterAll(async () => {
    await server?.close()
  })
  afterEach(() => {
    for (const client of clients.splice(0)) client.close()
    server?.control.resetFaults()
    server?.control.clearRequests()
  })
  const harness: SpaServer = {
    get server() {
      if (!server) throw new Error('the reference server is not started yet')
      return server
    },
    get key() {
      return `openrp:spa@${new URL(harness.server.issuer).href}`
    },
    setup(options = {}) {
      const navigator = new ScriptedNavigator()
      const store = options.store ?? new MemoryStore()
      const spa = createSpaClient({
        issuer: harness.server.issuer,
        clientId: 'spa',
        redirectUri: `${ORIGIN}/`,
        scope: 'openid profile email offline_access api:read',
        store,
        lock: new InProcessLock(),
        navigator,
        autoRefresh: false,
        ...defaults,
        ...options,
      })
      clients.push(spa)
      return { spa, navigator, store }
    },
    track(spa) {
      clients.push(spa)
    },
  }
  return harness
}

/**
 * What the callback page does in a popup or iframe: posts the callback `url` to the app (at
 * ORIGIN) from `source`, that window.
 */
export function postCallback(navigator: ScriptedNavigator, source: object, url: string): void {
  navigator.post({ origin: ORIGIN, source, data: { type: CALLBACK_MESSAGE_TYPE, url } })
}

/**
 * Rewrites the session stored under `key` so its access token is due for renewal: issued an
 * hour ago, expiring in 30 s (inside the default 60 s skew; a fresh token would not be due).
 */
export async function makeDue(store: Store, key: string): Promise<void> {
  const json = (await store.get(key)) as TokenSetJSON | undefined
  if (json === undefined) throw new Error(`nothing stored under ${key}`)
  const now = Math.floor(Date.now() / 1000)
  await store.set(key, { ...json, issuedAt: now - 3570, expiresAt: now + 30 })
}

/** Resolves with the payload of `spa`'s next `event` (the event itself, not a time). */
export function nextEvent<K extends keyof SpaEvents>(
  spa: SpaClient,
  event: K,
): Promise<SpaEvents[K]> {
  return new Promise((resolve) => {
    const off = spa.on(event, (payload) => {
      off()
      resolve(payload)
    })
  })
}
