/**
 * IndexedDbStore never holds up another tab, in real Chromium: a tab that deletes the store's
 * database (an app's "clear all site data" button) or opens it at a higher version is not
 * blocked by a tab whose IndexedDbStore has it open; that store closes its connection, reopens
 * on next use (creating its object store again) and keeps working. An upgrade that a foreign
 * connection does hold up fails fast with STORE_ERROR instead of hanging.
 *
 * Regression: the store kept idb-keyval's `createStore` connection open for the life of the tab
 * and never answered `versionchange`, so `indexedDB.deleteDatabase('openrp')` in another tab got
 * `blocked` and waited until every such tab was closed.
 */
import type { BrowserContext, Page } from '@playwright/test'
import { expect, openPage, test } from '../fixtures/harness.ts'
import type { PageServer } from '../harness/page-server.ts'
import type { IdbConfig } from '../harness/pages/stores-api.ts'

const DATABASE = 'e2e-versionchange'
const store: IdbConfig = { database: DATABASE, prefix: 'app:' }

/** How a request of another tab went: `blocked` is whether its `onblocked` ever fired. */
interface RequestReport {
  outcome: 'success' | 'error' | 'pending'
  blocked: boolean
  ms: number
  /** The database's version and object stores after an open. */
  version?: number
  objectStores?: string[]
}

async function storesTab(context: BrowserContext, pages: PageServer): Promise<Page> {
  const tab = await context.newPage()
  await openPage(tab, pages, 'stores')
  return tab
}

/** `indexedDB.deleteDatabase(name)` in `tab`; `pending` when it has not settled in `waitMs`. */
function deleteDatabase(tab: Page, name: string, waitMs = 3_000): Promise<RequestReport> {
  return tab.evaluate(
    ([n, wait]) =>
      new Promise<RequestReport>((done) => {
        const started = performance.now()
        const report = (outcome: RequestReport['outcome']) =>
          done({ outcome, blocked, ms: performance.now() - started })
        let blocked = false
        const request = indexedDB.deleteDatabase(n)
        request.onblocked = () => {
          blocked = true
        }
        request.onsuccess = () => report('success')
        request.onerror = () => report('error')
        setTimeout(() => report('pending'), wait)
      }),
    [name, waitMs] as const,
  )
}

/**
 * Opens `name` in `tab` at the next version (or `version`), adding the object store `add` in the
 * upgrade, then closes it; `pending` when it has not settled in `waitMs`.
 */
function upgradeDatabase(
  tab: Page,
  name: string,
  add: string,
  waitMs = 3_000,
): Promise<RequestReport> {
  return tab.evaluate(
    ([n, objectStore, wait]) =>
      new Promise<RequestReport>((done) => {
        const started = performance.now()
        let blocked = false
        const report = (outcome: RequestReport['outcome'], db?: IDBDatabase) =>
          done({
            outcome,
            blocked,
            ms: performance.now() - started,
            version: db?.version,
            objectStores: db ? [...db.objectStoreNames].sort() : undefined,
          })
        const probe = indexedDB.open(n)
        probe.onsuccess = () => {
          const version = probe.result.version
          probe.result.close()
          const request = indexedDB.open(n, version + 1)
          request.onupgradeneeded = () => request.result.createObjectStore(objectStore)
          request.onblocked = () => {
            blocked = true
          }
          request.onsuccess = () => {
            report('success', request.result)
            request.result.close()
          }
          request.onerror = () => report('error')
          setTimeout(() => report('pending'), wait)
        }
        probe.onerror = () => report('error')
      }),
    [name, add, waitMs] as const,
  )
}

const idbSet = (tab: Page, value: unknown) =>
  tab.evaluate(([s, v]) => window.stores.idbSet(s, 'session', v), [store, value] as const)
const idbGet = (tab: Page) => tab.evaluate((s) => window.stores.idbGet(s, 'session'), store)
const rawKeys = async (tab: Page, objectStore = 'tokens') =>
  (
    await tab.evaluate(([d, o]) => window.stores.rawEntries(d, o), [DATABASE, objectStore] as const)
  ).map((entry) => entry.key)

test.describe('IndexedDbStore gets out of the way of other tabs', () => {
  test("another tab's deleteDatabase succeeds at once; the store then reads nothing and writes again", async ({
    page,
    pages,
  }) => {
    await openPage(page, pages, 'stores')
    const other = await storesTab(page.context(), pages)
    expect(await idbSet(page, { accessToken: 'first' })).toEqual({ ok: true })
    expect(await idbGet(page)).toEqual({ ok: true, present: true, value: { accessToken: 'first' } })

    // Twice: the connection the store opens after the first delete lets go just the same.
    for (const round of ['first', 'second']) {
      const deleted = await deleteDatabase(other, DATABASE)
      expect(deleted, `${round} delete`).toMatchObject({ outcome: 'success', blocked: false })
      expect(deleted.ms).toBeLessThan(2_000)
      expect(await other.evaluate(() => window.stores.databases())).not.toContain(DATABASE)

      // The data went with the database; the store reopens it and works as before.
      expect(await idbGet(page)).toEqual({ ok: true, present: false })
      expect(await idbSet(page, { accessToken: `after ${round}` })).toEqual({ ok: true })
      expect(await idbGet(page)).toEqual({
        ok: true,
        present: true,
        value: { accessToken: `after ${round}` },
      })
      // Where the other tab sees it too: the object store was created again.
      expect(await rawKeys(other)).toEqual(['app:session'])
    }
  })

  test("the default database 'openrp' can be deleted from another tab while a store uses it", async ({
    page,
    pages,
  }) => {
    await openPage(page, pages, 'stores')
    const other = await storesTab(page.context(), pages)
    const defaults: IdbConfig = {}
    expect(
      await page.evaluate((s) => window.stores.idbSet(s, 'session', 'kept'), defaults),
    ).toEqual({ ok: true })
    expect(await deleteDatabase(other, 'openrp')).toMatchObject({
      outcome: 'success',
      blocked: false,
    })
    expect(await page.evaluate((s) => window.stores.idbGet(s, 'session'), defaults)).toEqual({
      ok: true,
      present: false,
    })
  })

  test("another tab's version upgrade is not blocked; the store keeps its data at the new version", async ({
    page,
    pages,
  }) => {
    await openPage(page, pages, 'stores')
    const other = await storesTab(page.context(), pages)
    expect(await idbSet(page, { accessToken: 'before upgrade' })).toEqual({ ok: true })

    const upgraded = await upgradeDatabase(other, DATABASE, 'app-cache')
    expect(upgraded).toMatchObject({
      outcome: 'success',
      blocked: false,
      version: 2,
      objectStores: ['app-cache', 'tokens'],
    })
    expect(upgraded.ms).toBeLessThan(2_000)

    expect(await idbGet(page)).toEqual({
      ok: true,
      present: true,
      value: { accessToken: 'before upgrade' },
    })
    expect(await idbSet(page, { accessToken: 'after upgrade' })).toEqual({ ok: true })
    expect(await idbGet(page)).toEqual({
      ok: true,
      present: true,
      value: { accessToken: 'after upgrade' },
    })
    // And again: the reopened connection answers the next upgrade too.
    expect(await upgradeDatabase(other, DATABASE, 'app-cache-2')).toMatchObject({
      outcome: 'success',
      blocked: false,
      version: 3,
    })
    expect(await idbGet(page)).toMatchObject({ ok: true, present: true })
  })

  test('a database deleted and re-created empty by other code gets the object store back', async ({
    page,
    pages,
  }) => {
    await openPage(page, pages, 'stores')
    const other = await storesTab(page.context(), pages)
    expect(await idbSet(page, 'before')).toEqual({ ok: true })
    expect(await deleteDatabase(other, DATABASE)).toMatchObject({ outcome: 'success' })
    // Other code opens the name without an upgrade handler: version 1, no object store.
    const recreated = await other.evaluate(
      (name) =>
        new Promise<{ version: number; objectStores: string[] }>((done, fail) => {
          const request = indexedDB.open(name)
          request.onsuccess = () => {
            const db = request.result
            done({ version: db.version, objectStores: [...db.objectStoreNames] })
            db.close()
          }
          request.onerror = () => fail(request.error)
        }),
      DATABASE,
    )
    expect(recreated).toEqual({ version: 1, objectStores: [] })

    expect(await idbGet(page)).toEqual({ ok: true, present: false })
    expect(await idbSet(page, 'after')).toEqual({ ok: true })
    expect(await idbGet(page)).toEqual({ ok: true, present: true, value: 'after' })
    expect(await rawKeys(other)).toEqual(['app:session'])
  })

  test('an upgrade held up by a connection that ignores versionchange is a STORE_ERROR, not a hang', async ({
    page,
    pages,
  }) => {
    await openPage(page, pages, 'stores')
    const other = await storesTab(page.context(), pages)
    // The other tab holds the database open at version 1 without the object store, and does not
    // close on versionchange (as idb-keyval's createStore did not).
    await other.evaluate(
      (name) =>
        new Promise<void>((done, fail) => {
          const request = indexedDB.open(name)
          request.onsuccess = () => {
            ;(window as unknown as { held: IDBDatabase }).held = request.result
            done()
          }
          request.onerror = () => fail(request.error)
        }),
      DATABASE,
    )

    const started = Date.now()
    const refused = await idbGet(page)
    expect(refused).toMatchObject({ ok: false, name: 'StoreError', code: 'STORE_ERROR' })
    expect(refused.ok === false && refused.message).toContain('BlockedError')
    expect(Date.now() - started).toBeLessThan(2_000)
    // Later calls fail fast too, instead of queueing behind the blocked upgrade.
    const again = Date.now()
    expect(await idbSet(page, 'refused')).toMatchObject({ ok: false, code: 'STORE_ERROR' })
    expect(await idbGet(page)).toMatchObject({ ok: false, code: 'STORE_ERROR' })
    expect(Date.now() - again).toBeLessThan(2_000)

    // Once the connection closes, the store works (its upgrade went through meanwhile).
    await other.evaluate(() => (window as unknown as { held: IDBDatabase }).held.close())
    await expect.poll(() => idbGet(page)).toEqual({ ok: true, present: false })
    expect(await idbSet(page, 'stored')).toEqual({ ok: true })
    expect(await idbGet(page)).toEqual({ ok: true, present: true, value: 'stored' })
    expect(await rawKeys(other)).toEqual(['app:session'])
  })

  test('a connection closed without a close event (as WebKit loses one) is replaced on next use', async ({
    page,
    pages,
  }) => {
    await openPage(page, pages, 'stores')
    // Every connection the page opens from now on, kept so the test can close it behind the
    // store's back.
    await page.evaluate(() => {
      const opened: IDBDatabase[] = []
      ;(window as unknown as { opened: IDBDatabase[] }).opened = opened
      const open = IDBFactory.prototype.open
      IDBFactory.prototype.open = function (this: IDBFactory, name: string, version?: number) {
        const request = open.call(this, name, version)
        request.addEventListener('success', () => opened.push(request.result))
        return request
      }
    })
    expect(await idbSet(page, { accessToken: 'before' })).toEqual({ ok: true })
    // close() from a script fires no `close` event: the store keeps a closed connection, on which
    // every transaction throws InvalidStateError (what WebKit's lost connections do).
    const closed = await page.evaluate(() => {
      const { opened } = window as unknown as { opened: IDBDatabase[] }
      for (const db of opened) db.close()
      return opened.length
    })
    expect(closed).toBe(1)

    expect(await idbGet(page)).toEqual({
      ok: true,
      present: true,
      value: { accessToken: 'before' },
    })
    expect(await idbSet(page, { accessToken: 'after' })).toEqual({ ok: true })
    expect(await idbGet(page)).toEqual({ ok: true, present: true, value: { accessToken: 'after' } })
    // One new connection, kept from then on.
    expect(
      await page.evaluate(() => (window as unknown as { opened: IDBDatabase[] }).opened.length),
    ).toBe(2)
  })
})
