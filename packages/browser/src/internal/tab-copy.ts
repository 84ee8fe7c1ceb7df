/**
 * Tells a tab's own Web Storage from a copy of another live tab's: a duplicated tab, or a page
 * opened with `window.open` without `noopener`, starts with a copy of its opener's
 * sessionStorage.
 *
 * @module
 */
import type { Clock } from '@openrp/core'

/** How long a tab waits for another tab to say it holds the same storage id. */
export const TAB_ANSWER_WAIT_MS = 100

/**
 * A question (`ask`: the id, `probe`: the asker's nonce) or an answer (`answer`: that nonce,
 * `copy`: whether the asker's storage is a copy) on the channel.
 */
interface TabMessage {
  ask?: string
  probe?: string
  answer?: string
  copy?: boolean
}

/**
 * Claims `storage` for this tab. The tab id kept under `key` says which tab wrote the storage.
 * When it is there, this tab asks over the BroadcastChannel named `key` whether another tab
 * holds the same id, and waits up to {@link TAB_ANSWER_WAIT_MS} for an answer. A tab that holds
 * it answers `copy: true` unless it finds the asker's probe (kept under `key:<probe>` while it
 * asks) in its own storage: then both are the same tab (another store on the page, or a
 * same-origin frame). Resolves with whether the storage is a copy; either way this tab then
 * holds an id (a new one for a copy) and answers others' questions until the page goes away.
 *
 * Where BroadcastChannel is missing, nothing is asked: the storage counts as this tab's own.
 */
export async function claimTab(storage: Storage, key: string, clock: Clock): Promise<boolean> {
  const found = storage.getItem(key)
  if (typeof BroadcastChannel === 'undefined') return false
  const channel = new BroadcastChannel(key)
  let copy = false
  if (found !== null) {
    const probe = randomId()
    storage.setItem(`${key}:${probe}`, '')
    copy = await new Promise<boolean>((resolve) => {
      const timer = clock.setTimeout(() => resolve(false), TAB_ANSWER_WAIT_MS)
      channel.onmessage = ({ data }: MessageEvent<TabMessage>) => {
        if (data?.answer === probe) {
          clock.clearTimeout(timer)
          resolve(data.copy === true)
        }
      }
      channel.postMessage({ ask: found, probe } satisfies TabMessage)
    })
    storage.removeItem(`${key}:${probe}`)
  }
  const id = copy || found === null ? randomId() : found
  storage.setItem(key, id)
  channel.onmessage = ({ data }: MessageEvent<TabMessage>) => {
    if (data?.ask === id && storage.getItem(key) === id)
      channel.postMessage({
        answer: data.probe,
        copy: storage.getItem(`${key}:${data.probe}`) === null,
      } satisfies TabMessage)
  }
  return copy
}

function randomId(): string {
  return crypto.getRandomValues(new Uint32Array(4)).join('-')
}
