/**
 * An IndexedDB object store for idb-keyval whose connection gets out of the way of other tabs
 * (internal).
 *
 * @module
 */
import type { UseStore } from 'idb-keyval'

/**
 * What idb-keyval's `createStore(database, objectStore)` gives, except that the connection
 * never blocks another one: when another tab (or this one) deletes the database or opens it at a
 * higher version, the connection closes at once (`versionchange`) and is forgotten, as it is
 * when the browser closes it (`close`, e.g. site data cleared). The next transaction opens a new
 * one, creating the object store again if the database is gone, or by an upgrade to the next
 * version if the database exists without it (deleted, then opened empty by other code).
 *
 * A connection that the browser closed without telling (no `close` event: every transaction on
 * it throws `InvalidStateError`) is forgotten too, and the call opens a new one.
 *
 * A failed open rejects with its error, and the next call tries again. When that upgrade waits
 * for a connection that does not close, calls reject at once with a `DOMException` named
 * `BlockedError` (no hang, and no more requests queued behind it) until the upgrade goes through.
 *
 * @see https://www.w3.org/TR/IndexedDB/#opening (`versionchange` and `blocked` events)
 */
export function connectedStore(database: string, objectStore: string): UseStore {
  let connection: Promise<IDBDatabase> | undefined
  const connect = (): Promise<IDBDatabase> => {
    if (!connection) {
      const forget = () => {
        if (connection === opening) connection = undefined
      }
      const opening = open(database, objectStore, forget).catch((error: Error | null) => {
        // A blocked upgrade is forgotten once it goes through (open calls `forget` then).
        if (error?.name !== 'BlockedError') forget()
        throw error
      })
      connection = opening
    }
    return connection
  }
  return async (mode, callback) => {
    const current = connect()
    let transaction: IDBTransaction
    try {
      transaction = (await current).transaction(objectStore, mode)
    } catch (error) {
      // A connection closed without a `close` event (WebKit loses its connection to the
      // IndexedDB server that way, e.g. after the page was in the background): every
      // transaction on it throws InvalidStateError. Forget it and open a new one, once.
      if ((error as Error | null)?.name !== 'InvalidStateError') throw error
      if (connection === current) connection = undefined
      transaction = (await connect()).transaction(objectStore, mode)
    }
    return callback(transaction.objectStore(objectStore))
  }
}

function open(
  database: string,
  objectStore: string,
  onGone: () => void,
  version?: number,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(database, version)
    let blocked = false
    // A new database, or one found without the object store (then opened at the next version).
    request.onupgradeneeded = () => request.result.createObjectStore(objectStore)
    request.onblocked = () => {
      blocked = true
      reject(new DOMException('upgrade blocked', 'BlockedError'))
    }
    request.onerror = () => {
      reject(request.error)
      onGone()
    }
    request.onsuccess = () => {
      const db = request.result
      // The blocked upgrade went through: a new connection may be opened now.
      if (blocked) {
        db.close()
        onGone()
      } else if (!db.objectStoreNames.contains(objectStore)) {
        db.close()
        resolve(open(database, objectStore, onGone, db.version + 1))
      } else {
        db.onversionchange = () => {
          db.close()
          onGone()
        }
        db.onclose = onGone
        resolve(db)
      }
    }
  })
}
