/**
 * The browser adapters of @openrp/browser on their own, in real Chromium: IndexedDbStore on the
 * page's real IndexedDB (own database, prefix, TTL, JSON only, backend failures), WebLocksLock
 * across tabs of one context, TabSync between tabs over a real BroadcastChannel, and
 * pageVisibility on the page's document.
 */
import type { BrowserContext, Page } from '@playwright/test'
import { expect, openPage, test } from '../fixtures/harness.ts'
import type { PageServer } from '../harness/page-server.ts'
import type { IdbConfig, LockRun } from '../harness/pages/stores-api.ts'

async function storesTab(context: BrowserContext, pages: PageServer): Promise<Page> {
  const tab = await context.newPage()
  await openPage(tab, pages, 'stores')
  return tab
}

const okRun = (run: LockRun) => {
  expect(run.outcome).toMatchObject({ ok: true })
  return run as Required<LockRun>
}

test.describe('IndexedDbStore in Chromium', () => {
  const store: IdbConfig = { database: 'e2e-tokens', prefix: 'app:' }

  test('round-trips JSON values and hands out copies', async ({ page, pages }) => {
    await openPage(page, pages, 'stores')
    const values = {
      object: { accessToken: 'at', expiresAt: 1_900_000_000, nested: { list: [1, 'two', null] } },
      array: [true, false, 0, -1.5, 'x'],
      string: 'héllo ✓',
      number: 42,
      zero: 0,
      empty: '',
      null: null,
      boolean: false,
    }
    for (const [key, value] of Object.entries(values)) {
      expect(
        await page.evaluate(([s, k, v]) => window.stores.idbSet(s, k, v), [
          store,
          key,
          value,
        ] as const),
      ).toEqual({ ok: true })
    }
    for (const [key, value] of Object.entries(values)) {
      expect(
        await page.evaluate(([s, k]) => window.stores.idbGet(s, k), [store, key] as const),
      ).toEqual({ ok: true, present: true, value })
    }
    expect(await page.evaluate((s) => window.stores.idbGet(s, 'missing'), store)).toEqual({
      ok: true,
      present: false,
    })
    expect(await page.evaluate((s) => window.stores.idbReadIsCopy(s, 'object'), store)).toEqual({
      first: { ...values.object, mutated: true },
      second: values.object,
    })

    // Every tab of the origin sees the same values; delete removes them for all.
    const other = await storesTab(page.context(), pages)
    expect(await other.evaluate((s) => window.stores.idbGet(s, 'object'), store)).toEqual({
      ok: true,
      present: true,
      value: values.object,
    })
    expect(await page.evaluate((s) => window.stores.idbDelete(s, 'object'), store)).toEqual({
      ok: true,
    })
    expect(await other.evaluate((s) => window.stores.idbGet(s, 'object'), store)).toEqual({
      ok: true,
      present: false,
    })
  })

  test('keeps its data in a database of its own, under its prefix, apart from other stores', async ({
    page,
    pages,
  }) => {
    await openPage(page, pages, 'stores')
    const a: IdbConfig = { database: 'e2e-a', prefix: 'a:' }
    const b: IdbConfig = { database: 'e2e-b', prefix: 'b:' }
    const sameDbOtherPrefix: IdbConfig = { database: 'e2e-a', prefix: 'c:' }
    const defaults: IdbConfig = {}
    const set = (s: IdbConfig, v: unknown) =>
      page.evaluate(([c, val]) => window.stores.idbSet(c, 'session', val), [s, v] as const)
    const get = (s: IdbConfig) => page.evaluate((c) => window.stores.idbGet(c, 'session'), s)

    expect(await set(a, 'from a')).toEqual({ ok: true })
    expect(await get(b)).toEqual({ ok: true, present: false })
    expect(await get(sameDbOtherPrefix)).toEqual({ ok: true, present: false })
    expect(await get(defaults)).toEqual({ ok: true, present: false })
    expect(await set(b, 'from b')).toEqual({ ok: true })
    expect(await set(sameDbOtherPrefix, 'from c')).toEqual({ ok: true })
    expect(await set(defaults, 'from defaults')).toEqual({ ok: true })
    expect(await get(a)).toEqual({ ok: true, present: true, value: 'from a' })
    expect(await get(b)).toEqual({ ok: true, present: true, value: 'from b' })
    expect(await get(sameDbOtherPrefix)).toEqual({ ok: true, present: true, value: 'from c' })
    expect(await get(defaults)).toEqual({ ok: true, present: true, value: 'from defaults' })

    // Real databases of the origin: the configured ones and `openrp` (the default); not
    // idb-keyval's shared default database.
    const databases = await page.evaluate(() => window.stores.databases())
    expect(databases.sort()).toEqual(['e2e-a', 'e2e-b', 'openrp'])
    const keysOf = async (database: string, objectStore = 'tokens') =>
      (
        await page.evaluate(([d, o]) => window.stores.rawEntries(d, o), [
          database,
          objectStore,
        ] as const)
      )
        .map((e) => e.key)
        .sort()
    expect(await keysOf('e2e-a')).toEqual(['a:session', 'c:session'])
    expect(await keysOf('e2e-b')).toEqual(['b:session'])
    expect(await keysOf('openrp')).toEqual(['openrp:session'])

    // A custom object store name is honoured too.
    const custom: IdbConfig = { database: 'e2e-custom', objectStore: 'kv', prefix: '' }
    expect(await set(custom, { n: 1 })).toEqual({ ok: true })
    expect(await keysOf('e2e-custom', 'kv')).toEqual(['session'])
  })

  test('a value written with ttlSec is gone once it elapses, and removed from IndexedDB', async ({
    page,
    pages,
  }) => {
    // The store reads the page's own Date.now(); Playwright's clock moves it, so expiry is
    // exact and does not depend on how fast this machine is.
    const t0 = Date.UTC(2030, 0, 1)
    await page.clock.install({ time: t0 })
    await openPage(page, pages, 'stores')
    await page.clock.pauseAt(t0 + 10_000)
    const get = (key: string) =>
      page.evaluate(([s, k]) => window.stores.idbGet(s, k), [store, key] as const)
    const set = (key: string, value: unknown, ttl?: number) =>
      page.evaluate(([s, k, v, t]) => window.stores.idbSet(s, k, v, t), [
        store,
        key,
        value,
        ttl,
      ] as const)
    expect(await set('short', { v: 1 }, 60)).toEqual({ ok: true })
    expect(await set('long', { v: 2 }, 3600)).toEqual({ ok: true })
    expect(await set('forever', { v: 3 })).toEqual({ ok: true })

    // The expiry is stored with the value, as an absolute time.
    const raw = async () =>
      page.evaluate((d) => window.stores.rawEntries(d, 'tokens'), store.database!)
    const expiries = Object.fromEntries(
      (await raw()).map((e) => [e.key, (e.value as { e?: number }).e]),
    )
    expect(expiries).toEqual({
      'app:short': t0 + 10_000 + 60_000,
      'app:long': t0 + 10_000 + 3_600_000,
      'app:forever': undefined,
    })

    await page.clock.fastForward(59_999)
    expect(await get('short')).toEqual({ ok: true, present: true, value: { v: 1 } })
    await page.clock.fastForward(1)
    expect(await get('short')).toEqual({ ok: true, present: false })
    expect(await get('long')).toEqual({ ok: true, present: true, value: { v: 2 } })
    expect(await get('forever')).toEqual({ ok: true, present: true, value: { v: 3 } })
    // The expired entry was deleted on that read, not merely hidden.
    expect((await raw()).map((e) => e.key).sort()).toEqual(['app:forever', 'app:long'])

    // A bad ttlSec is refused before anything is written.
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(await set('long', 'replaced', ttl), String(ttl)).toMatchObject({
        ok: false,
        code: 'INVALID_ARGUMENT',
      })
    }
    expect(await get('long')).toEqual({ ok: true, present: true, value: { v: 2 } })
  })

  test('removing an expired value never removes the fresh one another tab wrote meanwhile', async ({
    page,
    pages,
  }) => {
    const t0 = Date.UTC(2030, 0, 1)
    await page.clock.install({ time: t0 })
    await openPage(page, pages, 'stores')
    await page.clock.pauseAt(t0 + 10_000)
    expect(
      await page.evaluate(([s]) => window.stores.idbSet(s, 'marker', { v: 'old' }, 60), [
        store,
      ] as const),
    ).toEqual({ ok: true })
    await page.clock.fastForward(60_000)
    // This tab reads the expired value; another tab writes a fresh one before the read's
    // removal of the expired one runs.
    expect(
      await page.evaluate(
        ([s]) => window.stores.idbReadWhileOtherWrites(s, 'marker', { v: 'new' }),
        [store] as const,
      ),
    ).toEqual({ ok: true, first: undefined, after: { v: 'new' } })
  })

  test('a value with no JSON form is refused with STORE_ERROR and the previous value stays', async ({
    page,
    pages,
  }) => {
    await openPage(page, pages, 'stores')
    const previous = { accessToken: 'previous', expiresAt: 1_900_000_000 }
    expect(
      await page.evaluate(([s, v]) => window.stores.idbSet(s, 'session', v), [
        store,
        previous,
      ] as const),
    ).toEqual({ ok: true })
    for (const kind of ['bigint', 'function', 'circular', 'undefined', 'symbol'] as const) {
      const outcome = await page.evaluate(
        ([s, k]) => window.stores.idbSetNonJson(s, 'session', k),
        [store, kind] as const,
      )
      expect(outcome, kind).toMatchObject({ ok: false, name: 'StoreError', code: 'STORE_ERROR' })
      expect(await page.evaluate((s) => window.stores.idbGet(s, 'session'), store)).toEqual({
        ok: true,
        present: true,
        value: previous,
      })
    }
  })

  test('a quota failure is a STORE_ERROR; the previous value stays readable and writes work again afterwards', async ({
    page,
    pages,
  }) => {
    await openPage(page, pages, 'stores')
    // Storage pressure through DevTools: Chromium applies the override to an origin whose
    // IndexedDB it has not opened yet, so it comes before the first write. An empty database
    // takes about 72 KiB; 512 KiB leaves room for a session, not for 2 MiB.
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Storage.overrideQuotaForOrigin', {
      origin: pages.origin,
      quotaSize: 512 * 1024,
    })
    const previous = { accessToken: 'previous', refreshToken: 'rt-previous' }
    try {
      expect(
        await page.evaluate(([s, v]) => window.stores.idbSet(s, 'session', v), [
          store,
          previous,
        ] as const),
      ).toEqual({ ok: true })
      const big = { accessToken: 'x'.repeat(2 * 1024 * 1024) }
      const refused = await page.evaluate(([s, v]) => window.stores.idbSet(s, 'session', v), [
        store,
        big,
      ] as const)
      expect(refused).toMatchObject({ ok: false, name: 'StoreError', code: 'STORE_ERROR' })
      expect(refused.ok === false && refused.message).toContain('QuotaExceededError')
      expect(await page.evaluate((s) => window.stores.idbGet(s, 'session'), store)).toEqual({
        ok: true,
        present: true,
        value: previous,
      })
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: pages.origin })
    }
    const next = { accessToken: 'y'.repeat(2 * 1024 * 1024) }
    expect(
      await page.evaluate(([s, v]) => window.stores.idbSet(s, 'session', v), [
        store,
        next,
      ] as const),
    ).toEqual({
      ok: true,
    })
    const read = await page.evaluate((s) => window.stores.idbGet(s, 'session'), store)
    expect(read.ok && (read.value as typeof next).accessToken.length).toBe(next.accessToken.length)
  })

  test('keeps working after the browser closes its connection (site data cleared while open)', async ({
    page,
    pages,
  }) => {
    await openPage(page, pages, 'stores')
    expect(await page.evaluate((s) => window.stores.idbSet(s, 'session', 'before'), store)).toEqual(
      { ok: true },
    )
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Storage.clearDataForOrigin', {
      origin: pages.origin,
      storageTypes: 'indexeddb',
    })
    // The data is gone with the database; the store reopens it instead of failing for good.
    await expect
      .poll(() => page.evaluate((s) => window.stores.idbGet(s, 'session'), store))
      .toEqual({ ok: true, present: false })
    expect(await page.evaluate((s) => window.stores.idbSet(s, 'session', 'after'), store)).toEqual({
      ok: true,
    })
    expect(await page.evaluate((s) => window.stores.idbGet(s, 'session'), store)).toEqual({
      ok: true,
      present: true,
      value: 'after',
    })
  })
})

test.describe('WebLocksLock in Chromium', () => {
  test('critical sections on one name never overlap, across two tabs', async ({
    context,
    pages,
  }) => {
    const tabs = [await storesTab(context, pages), await storesTab(context, pages)]
    const at = Date.now() + 1000
    const options = { holdMs: 100, atMs: at, timeoutMs: 10_000 }
    const runs = (
      await Promise.all(
        tabs.map((tab) =>
          tab.evaluate(([o]) => window.stores.lockRunMany('shared', 3, o), [options] as const),
        ),
      )
    ).flatMap((tabRuns, tab) => tabRuns.map((run) => ({ tab, ...okRun(run) })))

    expect(runs).toHaveLength(6)
    // The lock was contended across the tabs: a run asked before the other tab's run that went
    // in first had left (all six ask at about the same moment; a busy machine may spread that
    // by 100 ms or more, so this looks at what happened rather than at a stopwatch).
    const contended = runs.some((a) =>
      runs.some((b) => a.tab !== b.tab && a.enteredAt < b.enteredAt && b.calledAt < a.exitedAt),
    )
    expect(contended).toBe(true)
    const sorted = [...runs].sort((x, y) => x.enteredAt - y.enteredAt)
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i]!.enteredAt).toBeGreaterThanOrEqual(sorted[i - 1]!.exitedAt)
    }
    expect(new Set(runs.map((r) => r.tab))).toEqual(new Set([0, 1]))
    for (const run of runs) expect(run.outcome).toEqual({ ok: true, result: 'done:shared' })

    // Another name is not serialised behind this one.
    const [x, y] = await Promise.all(
      tabs.map((tab, i) =>
        tab.evaluate(([name, o]) => window.stores.lockRun(name, o), [
          `independent-${i}`,
          { holdMs: 200, atMs: Date.now() + 200 },
        ] as const),
      ),
    )
    const [px, py] = [okRun(x!), okRun(y!)]
    expect(px.enteredAt).toBeLessThan(py.exitedAt)
    expect(py.enteredAt).toBeLessThan(px.exitedAt)
  })

  test('a waiter past timeoutMs gets LOCK_TIMEOUT without running; the holder is unaffected', async ({
    context,
    pages,
  }) => {
    const [holderTab, waiterTab] = [
      await storesTab(context, pages),
      await storesTab(context, pages),
    ]
    // The holder asked with the same short timeout: once granted, it is not cut short.
    const holding = holderTab.evaluate(() =>
      window.stores.lockRun('session', { holdMs: 1500, timeoutMs: 300 }),
    )
    await expect
      .poll(() => waiterTab.evaluate(() => window.stores.lockQuery()))
      .toMatchObject({ held: ['e2e:session'] })

    const waited = await waiterTab.evaluate(() =>
      window.stores.lockRun('session', { holdMs: 0, timeoutMs: 300 }),
    )
    expect(waited.outcome).toMatchObject({
      ok: false,
      name: 'LockTimeoutError',
      code: 'LOCK_TIMEOUT',
    })
    expect(waited.ran).toBe(false)
    expect(waited.settledAt - waited.calledAt).toBeGreaterThanOrEqual(295)
    expect(waited.settledAt - waited.calledAt).toBeLessThan(1200)
    // The timed-out request left the queue: it will not take the lock later.
    expect(await waiterTab.evaluate(() => window.stores.lockQuery())).toEqual({
      held: ['e2e:session'],
      pending: [],
    })

    const held = okRun(await holding)
    expect(held.outcome).toEqual({ ok: true, result: 'done:session' })
    expect(held.exitedAt - held.enteredAt).toBeGreaterThanOrEqual(1495)
    expect(held.enteredAt).toBeLessThan(waited.calledAt)
    expect(held.exitedAt).toBeGreaterThan(waited.settledAt)

    // Free again: the waiter gets it at once; a failing critical section keeps its own error
    // (not LOCK_TIMEOUT) and still releases the lock.
    const failed = await waiterTab.evaluate(() =>
      window.stores.lockRun('session', { holdMs: 0, timeoutMs: 300, fail: true }),
    )
    expect(failed.ran).toBe(true)
    expect(failed.outcome).toMatchObject({ ok: false, name: 'HolderFailure', code: undefined })
    okRun(
      await holderTab.evaluate(() =>
        window.stores.lockRun('session', { holdMs: 0, timeoutMs: 300 }),
      ),
    )
    expect(await holderTab.evaluate(() => window.stores.lockQuery())).toEqual({
      held: [],
      pending: [],
    })

    expect(
      (
        await waiterTab.evaluate(() =>
          window.stores.lockRun('session', { holdMs: 0, timeoutMs: -1 }),
        )
      ).outcome,
    ).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' })
  })

  test('a tab that closes while holding the lock releases it to the waiting tab', async ({
    context,
    pages,
  }) => {
    const [holderTab, waiterTab] = [
      await storesTab(context, pages),
      await storesTab(context, pages),
    ]
    void holderTab
      .evaluate(() => window.stores.lockRun('session', { holdMs: 60_000 }))
      .catch(() => {})
    await expect
      .poll(() => waiterTab.evaluate(() => window.stores.lockQuery()))
      .toMatchObject({ held: ['e2e:session'] })
    const waiting = waiterTab.evaluate(() =>
      window.stores.lockRun('session', { holdMs: 0, timeoutMs: 10_000 }),
    )
    await expect
      .poll(() => waiterTab.evaluate(() => window.stores.lockQuery()))
      .toEqual({ held: ['e2e:session'], pending: ['e2e:session'] })
    await holderTab.close()
    const run = okRun(await waiting)
    expect(run.enteredAt - run.calledAt).toBeLessThan(5000)
  })

  // Regression: with timeoutMs 0 the wait was a 0 ms timer racing the browser's grant, which
  // comes later even for a free lock: LOCK_TIMEOUT every time, where InProcessLock runs.
  test('timeoutMs 0 takes a free lock at once and refuses a held one without waiting', async ({
    context,
    pages,
  }) => {
    const [holderTab, tab] = [await storesTab(context, pages), await storesTab(context, pages)]
    for (let i = 0; i < 3; i++) {
      const free = await tab.evaluate(() =>
        window.stores.lockRun('try', { holdMs: 0, timeoutMs: 0 }),
      )
      expect(free.outcome).toEqual({ ok: true, result: 'done:try' })
    }
    void holderTab.evaluate(() => window.stores.lockRun('try', { holdMs: 60_000 })).catch(() => {})
    await expect
      .poll(() => tab.evaluate(() => window.stores.lockQuery()))
      .toMatchObject({ held: ['e2e:try'] })
    const held = await tab.evaluate(() => window.stores.lockRun('try', { holdMs: 0, timeoutMs: 0 }))
    expect(held.outcome).toMatchObject({ ok: false, code: 'LOCK_TIMEOUT' })
    expect(held.ran).toBe(false)
    expect(await tab.evaluate(() => window.stores.lockQuery())).toEqual({
      held: ['e2e:try'],
      pending: [],
    })
  })

  test('without navigator.locks, withLock rejects with UNSUPPORTED and never runs the section', async ({
    context,
    pages,
  }) => {
    const tab = await context.newPage()
    await tab.addInitScript(() => {
      delete (Navigator.prototype as { locks?: unknown }).locks
    })
    await openPage(tab, pages, 'stores')
    expect(await tab.evaluate(() => window.stores.hasWebLocks())).toBe(false)
    const run = await tab.evaluate(() => window.stores.lockRun('session', { holdMs: 0 }))
    expect(run.outcome).toMatchObject({ ok: false, code: 'UNSUPPORTED' })
    expect(run.ran).toBe(false)
  })
})

test.describe('TabSync in Chromium', () => {
  test('a message reaches the other tabs on the channel, not the sender, and carries only its type', async ({
    context,
    pages,
  }) => {
    const [a, b, c, elsewhere] = await Promise.all(
      Array.from({ length: 4 }, () => storesTab(context, pages)),
    )
    for (const tab of [a!, b!, c!]) await tab.evaluate(() => window.stores.syncOpen('e2e-session'))
    await elsewhere!.evaluate(() => window.stores.syncOpen('e2e-other'))
    const received = (tab: Page) => tab.evaluate(() => window.stores.syncReceived())

    expect(await a!.evaluate(() => window.stores.syncPublish({ type: 'logout' }))).toEqual({
      ok: true,
    })
    for (const tab of [b!, c!]) {
      await expect
        .poll(() => received(tab))
        .toEqual({ tabSync: [{ type: 'logout' }], probe: [{ type: 'logout' }] })
    }
    // Tokens smuggled into a message never leave the tab; unknown types are not sent.
    expect(await a!.evaluate(() => window.stores.syncPublish({ type: 'bogus' }))).toEqual({
      ok: true,
    })
    expect(
      await a!.evaluate(() =>
        window.stores.syncPublish({ type: 'refreshed', accessToken: 'secret-at' }),
      ),
    ).toEqual({ ok: true })
    await expect
      .poll(() => received(c!))
      .toMatchObject({ probe: [{ type: 'logout' }, { type: 'refreshed' }] })
    expect(await received(c!)).toEqual({
      tabSync: [{ type: 'logout' }, { type: 'refreshed' }],
      probe: [{ type: 'logout' }, { type: 'refreshed' }],
    })
    // Foreign messages on the channel are ignored; valid ones are reduced to their type.
    await b!.evaluate(() => {
      for (const m of ['logout', null, { type: 'nope' }, { type: 'login', idToken: 'secret-id' }])
        window.stores.probePost(m)
    })
    await expect
      .poll(async () => (await received(c!)).tabSync)
      .toEqual([{ type: 'logout' }, { type: 'refreshed' }, { type: 'login' }])
    // a's own probe hears a's TabSync (2 messages) and b's raw posts (4).
    await expect.poll(async () => (await received(a!)).probe).toHaveLength(6)
    expect(await received(a!)).toMatchObject({ tabSync: [{ type: 'login' }] })

    // The sender and the tab on another channel heard none of it (the probe of the sender
    // only saw what b posted raw).
    expect(await received(elsewhere!)).toEqual({ tabSync: [], probe: [] })
  })

  test('close() stops delivery to that tab only', async ({ context, pages }) => {
    const [a, b, c] = await Promise.all(Array.from({ length: 3 }, () => storesTab(context, pages)))
    for (const tab of [a!, b!, c!]) await tab.evaluate(() => window.stores.syncOpen('e2e-session'))
    const received = (tab: Page) => tab.evaluate(() => window.stores.syncReceived())

    await b!.evaluate(() => window.stores.syncClose())
    expect(await a!.evaluate(() => window.stores.syncPublish({ type: 'refreshed' }))).toEqual({
      ok: true,
    })
    await expect
      .poll(() => received(c!))
      .toEqual({ tabSync: [{ type: 'refreshed' }], probe: [{ type: 'refreshed' }] })
    // b's raw probe (same tab, same channel name) got the message: only TabSync stopped.
    await expect.poll(() => received(b!)).toEqual({ tabSync: [], probe: [{ type: 'refreshed' }] })
    await b!.waitForTimeout(100)
    expect((await received(b!)).tabSync).toEqual([])

    // A closed TabSync publishes nothing and does not throw (a refresh that settles after
    // SpaClient.close() still publishes through it).
    expect(await b!.evaluate(() => window.stores.syncPublish({ type: 'logout' }))).toEqual({
      ok: true,
    })
    expect(await a!.evaluate(() => window.stores.syncPublish({ type: 'login' }))).toEqual({
      ok: true,
    })
    await expect
      .poll(async () => (await received(c!)).tabSync)
      .toEqual([{ type: 'refreshed' }, { type: 'login' }])
  })
})

test.describe('pageVisibility in Chromium', () => {
  test('reports the document visible and forwards visibilitychange until unsubscribed', async ({
    page,
    pages,
  }) => {
    await openPage(page, pages, 'stores')
    await page.evaluate(() => window.stores.visibilityWatch())
    expect(await page.evaluate(() => window.stores.visibility())).toEqual({
      isVisible: true,
      documentState: 'visible',
      changes: [],
    })
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')))
    expect(await page.evaluate(() => window.stores.visibility())).toEqual({
      isVisible: true,
      documentState: 'visible',
      changes: [true],
    })
    await page.evaluate(() => window.stores.visibilityUnwatch())
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')))
    expect((await page.evaluate(() => window.stores.visibility())).changes).toEqual([true])
  })
})
