// The stores, the lock and TabSync declare their public members instead of defining them as
// class fields (the constructors assign them): these pin that each still has them, in order.
import { describe, expect, it } from 'vitest'
import { IndexedDbStore } from '../src/indexeddb-store.ts'
import { SessionStorageStore } from '../src/session-storage-store.ts'
import { TabSync } from '../src/tab-sync.ts'
import { WebLocksLock } from '../src/web-locks-lock.ts'

describe('public members', () => {
  it('IndexedDbStore: database, objectStore, prefix (defaults and given)', () => {
    expect(Object.entries(new IndexedDbStore())).toEqual([
      ['database', 'openrp'],
      ['objectStore', 'tokens'],
      ['prefix', 'openrp:'],
    ])
    const store = new IndexedDbStore({ database: 'd', objectStore: 'o', prefix: 'p:' })
    expect({ ...store }).toEqual({ database: 'd', objectStore: 'o', prefix: 'p:' })
  })

  it('SessionStorageStore and WebLocksLock: prefix', () => {
    expect(Object.entries(new SessionStorageStore())).toEqual([['prefix', 'openrp:']])
    expect(Object.entries(new WebLocksLock({ prefix: 'app:' }))).toEqual([['prefix', 'app:']])
  })

  it('TabSync: name', () => {
    const sync = new TabSync('openrp:test')
    expect(Object.entries(sync)).toEqual([['name', 'openrp:test']])
    sync.close()
  })
})
