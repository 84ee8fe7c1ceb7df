/**
 * The stores test page: the browser adapters of @openrp/browser on their own, in real Chromium.
 * IndexedDbStore against the page's IndexedDB, WebLocksLock and TabSync across the tabs of one
 * context, pageVisibility against the page's document. No provider is involved.
 */
import { IndexedDbStore, pageVisibility, TabSync, WebLocksLock } from '@openrp/browser'
import type { TokenChangeMessage } from '@openrp/core'
import type { Outcome } from './core-api.ts'
import { describeError } from './page-kit.ts'
import type { IdbConfig, LockRun, LockRunOptions, NonJsonKind, StoresPage } from './stores-api.ts'

const idbStores = new Map<string, IndexedDbStore>()

/** The same config gets the same store (and so the same open database connection). */
function idbStore(config: IdbConfig): IndexedDbStore {
  const id = JSON.stringify([config.database, config.objectStore, config.prefix])
  let store = idbStores.get(id)
  if (!store) {
    store = new IndexedDbStore(config)
    idbStores.set(id, store)
  }
  return store
}

async function attempt<T extends object>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, ...(await fn()) }
  } catch (error) {
    return describeError(error)
  }
}

function nonJson(kind: NonJsonKind): unknown {
  switch (kind) {
    case 'bigint':
      return { n: 1n }
    case 'function':
      return () => 'not data'
    case 'circular': {
      const value: Record<string, unknown> = { a: 1 }
      value.self = value
      return value
    }
    case 'undefined':
      return undefined
    case 'symbol':
      return Symbol('not data')
  }
}

function openDatabase(name: string): Promise<IDBDatabase> {
  return new Promise((ok, fail) => {
    const request = indexedDB.open(name)
    request.onsuccess = () => ok(request.result)
    request.onerror = () => fail(request.error)
  })
}

const epochMs = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, Math.max(0, ms)))

async function lockRun(name: string, options: LockRunOptions): Promise<LockRun> {
  if (options.atMs !== undefined) await sleep(options.atMs - Date.now())
  const lock = new WebLocksLock({ prefix: 'e2e:' })
  const run: Omit<LockRun, 'outcome' | 'settledAt'> = { ran: false, calledAt: epochMs() }
  const outcome = await attempt(async () => {
    const result = await lock.withLock(
      name,
      async () => {
        run.ran = true
        run.enteredAt = epochMs()
        await sleep(options.holdMs)
        run.exitedAt = epochMs()
        if (options.fail) {
          const error = new Error('the critical section failed')
          error.name = 'HolderFailure'
          throw error
        }
        return `done:${name}`
      },
      options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    )
    return { result }
  })
  return { ...run, settledAt: epochMs(), outcome }
}

let sync: TabSync | undefined
let probe: BroadcastChannel | undefined
const received: { tabSync: unknown[]; probe: unknown[] } = { tabSync: [], probe: [] }

let stopVisibility: (() => void) | undefined
const visibilityChanges: boolean[] = []
const visibilityHook = pageVisibility()

const stores: StoresPage = {
  idbSet: (config, key, value, ttlSec) =>
    attempt(async () => {
      await idbStore(config).set(key, value, ttlSec === undefined ? {} : { ttlSec })
      return {}
    }),

  idbSetNonJson: (config, key, kind) =>
    attempt(async () => {
      await idbStore(config).set(key, nonJson(kind))
      return {}
    }),

  idbGet: (config, key) =>
    attempt(async () => {
      const value = await idbStore(config).get(key)
      return { present: value !== undefined, value }
    }),

  idbDelete: (config, key) =>
    attempt(async () => {
      await idbStore(config).delete(key)
      return {}
    }),

  idbReadWhileOtherWrites: (config, key, value) =>
    attempt(async () => {
      // The other tab's connection is open first, so its write is queued right behind the read.
      const other = new IndexedDbStore(config)
      await other.get('warm-up')
      const reading = idbStore(config).get(key)
      const writing = other.set(key, value)
      const [first] = await Promise.all([reading, writing])
      return { first, after: await idbStore(config).get(key) }
    }),

  async idbReadIsCopy(config, key) {
    const store = idbStore(config)
    const first = await store.get<Record<string, unknown>>(key)
    if (first) first.mutated = true
    return { first, second: await store.get(key) }
  },

  async databases() {
    return (await indexedDB.databases()).map((d) => d.name ?? '')
  },

  async rawEntries(database, objectStore) {
    const db = await openDatabase(database)
    try {
      return await new Promise((ok, fail) => {
        const tx = db.transaction(objectStore, 'readonly').objectStore(objectStore)
        const keys = tx.getAllKeys()
        const values = tx.getAll()
        values.onsuccess = () =>
          ok(keys.result.map((key, i) => ({ key: String(key), value: values.result[i] })))
        values.onerror = () => fail(values.error)
      })
    } finally {
      db.close()
    }
  },

  deleteDatabase(name, waitMs) {
    return new Promise((ok) => {
      const request = indexedDB.deleteDatabase(name)
      const timer = setTimeout(() => ok('blocked'), waitMs)
      request.onsuccess = () => {
        clearTimeout(timer)
        ok('deleted')
      }
      request.onerror = () => {
        clearTimeout(timer)
        ok('error')
      }
    })
  },

  lockRun,

  async lockRunMany(name, count, options) {
    return Promise.all(Array.from({ length: count }, () => lockRun(name, options)))
  },

  async lockQuery() {
    const state = await navigator.locks.query()
    return {
      held: (state.held ?? []).map((l) => l.name ?? ''),
      pending: (state.pending ?? []).map((l) => l.name ?? ''),
    }
  },

  hasWebLocks: () => typeof navigator.locks !== 'undefined',

  syncOpen(name) {
    sync = new TabSync(name)
    sync.subscribe((message) => received.tabSync.push(message))
    probe = new BroadcastChannel(name)
    probe.onmessage = (event) => received.probe.push(event.data)
  },

  syncPublish(message) {
    try {
      sync?.publish(message as TokenChangeMessage)
      return { ok: true }
    } catch (error) {
      return describeError(error)
    }
  },

  probePost(message) {
    probe?.postMessage(message)
  },

  syncReceived: () => structuredClone(received),

  syncClose() {
    sync?.close()
  },

  visibilityWatch() {
    stopVisibility = visibilityHook.onChange((visible) => visibilityChanges.push(visible))
  },

  visibility: () => ({
    isVisible: visibilityHook.isVisible(),
    documentState: document.visibilityState,
    changes: [...visibilityChanges],
  }),

  visibilityUnwatch() {
    stopVisibility?.()
  },
}

window.stores = stores
document.body.dataset.ready = 'true'
