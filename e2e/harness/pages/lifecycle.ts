/**
 * The lifecycle test page: TokenManager from @openrp/core with the browser stores and locks of
 * @openrp/browser (IndexedDbStore, EncryptedStore, WebLocksLock, TabSync). Several tabs of this
 * page share one session through IndexedDB, as an SPA's tabs do.
 */
import { EncryptedStore, IndexedDbStore, TabSync, WebLocksLock } from '@openrp/browser'
import {
  type AuthTransaction,
  type Client,
  discover,
  isOpenRpError,
  type Store,
  TokenManager,
  type TokenSetJSON,
} from '@openrp/core'
import type { Lifecycle, LifecycleConfig, ManagerEvents, PlaintextReport } from './lifecycle-api.ts'
import type { Outcome } from './core-api.ts'
import { describeError, fingerprint, summarize, type TokenSummary } from './page-kit.ts'

const KEY = 'session'
const DATABASE = 'openrp-e2e'
const TX_KEY = 'lifecycle-page:tx'

let state:
  | { client: Client; store: Store; manager: TokenManager; events: ManagerEvents }
  | undefined

const redirectUri = () => new URL(location.pathname, location.origin).href

function need(): NonNullable<typeof state> {
  if (!state) throw new Error('call setup() first')
  return state
}

const codeOf = (error: unknown) => (isOpenRpError(error) ? error.code : String(error))

async function setup(config: LifecycleConfig): Promise<void> {
  const client = await discover(config.issuer, {
    clientId: config.clientId,
    redirectUri: redirectUri(),
  })
  const inner = new IndexedDbStore({ database: DATABASE })
  const store = config.encrypted ? new EncryptedStore(inner) : inner
  const manager = new TokenManager({
    client,
    store,
    key: KEY,
    lock: new WebLocksLock({ prefix: 'openrp-e2e:' }),
    notifier: new TabSync('openrp-e2e'),
    jitterSec: 0,
  })
  const events: ManagerEvents = { refreshed: 0, expired: [], error: [] }
  manager.on('refreshed', () => {
    events.refreshed++
  })
  manager.on('expired', (error) => events.expired.push(codeOf(error.cause ?? error)))
  manager.on('error', (error) => events.error.push(codeOf(error)))
  state = { client, store, manager, events }
}

async function handleCallback(url: string): Promise<Outcome<{ tokens: TokenSummary }>> {
  try {
    const raw = sessionStorage.getItem(TX_KEY)
    sessionStorage.removeItem(TX_KEY)
    history.replaceState(null, '', redirectUri())
    if (!raw) throw new Error('no pending login')
    const { config, transaction } = JSON.parse(raw) as {
      config: LifecycleConfig
      transaction: AuthTransaction
    }
    await setup(config)
    const { client, manager } = need()
    const tokens = await client.handleAuthorizationResponse(url, transaction)
    await manager.setTokenSet(tokens)
    return { ok: true, tokens: await summarize(tokens) }
  } catch (error) {
    return describeError(error)
  }
}

/** Every value of every object store of every IndexedDB database of the origin. */
async function rawIndexedDb(): Promise<{ names: string[]; values: unknown[] }> {
  const names = (await indexedDB.databases()).map((d) => d.name ?? '').filter(Boolean)
  const values: unknown[] = []
  for (const name of names) {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const request = indexedDB.open(name)
      request.onsuccess = () => ok(request.result)
      request.onerror = () => fail(request.error)
    })
    for (const storeName of [...db.objectStoreNames]) {
      const all = await new Promise<unknown[]>((ok, fail) => {
        const request = db.transaction(storeName, 'readonly').objectStore(storeName).getAll()
        request.onsuccess = () => ok(request.result)
        request.onerror = () => fail(request.error)
      })
      values.push(...all)
    }
    db.close()
  }
  return { names, values }
}

/** A text rendering of a structured-clone value, bytes decoded both as UTF-8 and Latin-1. */
function flatten(value: unknown, out: string[]): void {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes =
      value instanceof ArrayBuffer
        ? new Uint8Array(value)
        : new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    out.push(new TextDecoder().decode(bytes), String.fromCharCode(...bytes))
  } else if (typeof value === 'string') {
    out.push(value)
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k)
      flatten(v, out)
    }
  } else {
    out.push(String(value))
  }
}

const lifecycle: Lifecycle = {
  setup,

  async beginLogin(config, scope) {
    const client = await discover(config.issuer, {
      clientId: config.clientId,
      redirectUri: redirectUri(),
    })
    // offline_access (a refresh token) needs prompt=consent (OpenID Connect Core §11).
    const { url, transaction } = await client.createAuthorizationRequest({
      scope,
      prompt: 'consent',
    })
    sessionStorage.setItem(TX_KEY, JSON.stringify({ config, transaction }))
    setTimeout(() => location.assign(url), 0)
  },

  async expireStoredToken() {
    const { store } = need()
    const json = await store.get<TokenSetJSON>(KEY)
    if (!json) throw new Error('no session stored')
    await store.set(KEY, { ...json, expiresAt: Math.floor(Date.now() / 1000) - 5 })
  },

  async getAccessTokenAt(atMs) {
    const { manager } = need()
    await new Promise((ok) => setTimeout(ok, Math.max(0, atMs - Date.now())))
    try {
      const accessToken = await fingerprint(await manager.getAccessToken())
      const stored = await manager.getTokenSet()
      const storedRefreshToken = stored?.refreshToken
        ? await fingerprint(stored.refreshToken)
        : undefined
      return { ok: true, accessToken, storedRefreshToken }
    } catch (error) {
      return describeError(error)
    }
  },

  async refreshNow() {
    try {
      return { ok: true, tokens: await summarize(await need().manager.refresh()) }
    } catch (error) {
      return describeError(error)
    }
  },

  async stored() {
    const set = await need().manager.getTokenSet()
    return set ? summarize(set) : undefined
  },

  events: () => structuredClone(need().events),

  async findPlaintext() {
    const set = await need().manager.getTokenSet()
    if (!set) throw new Error('no session stored')
    const { names, values } = await rawIndexedDb()
    const texts: string[] = []
    const cryptoKeys: PlaintextReport['cryptoKeys'] = []
    let count = 0
    for (const value of values) {
      if (value instanceof CryptoKey) {
        // A non-extractable key refuses to leave WebCrypto.
        const exportRefused = await crypto.subtle.exportKey('raw', value).then(
          () => false,
          () => true,
        )
        cryptoKeys.push({
          extractable: value.extractable,
          algorithm: value.algorithm.name,
          exportRefused,
        })
        continue
      }
      count++
      flatten(value, texts)
    }
    const raw = texts.join('\n')
    const web = [...Object.values(localStorage), ...Object.values(sessionStorage)].join('\n')
    const secrets = [set.accessToken, set.refreshToken, set.idToken].filter(
      (s): s is string => typeof s === 'string',
    )
    return {
      databases: names,
      values: count,
      cryptoKeys,
      found: {
        accessToken: raw.includes(set.accessToken),
        refreshToken: set.refreshToken !== undefined && raw.includes(set.refreshToken),
        idToken: set.idToken !== undefined && raw.includes(set.idToken),
        tokenField: raw.includes('accessToken'),
      },
      foundInWebStorage: secrets.some((s) => web.includes(s)),
    }
  },
}

if (new URLSearchParams(location.search).has('state')) {
  lifecycle.callback = handleCallback(location.href)
}
window.lifecycle = lifecycle
document.body.dataset.ready = 'true'
