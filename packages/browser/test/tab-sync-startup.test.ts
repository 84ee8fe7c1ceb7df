/**
 * Regression: a SpaClient subscribed to its TokenManager's events only after its first read of
 * the store. Another tab's logout heard while that read was still running (IndexedDB opening,
 * a value decrypting) was handled by the manager and emitted to nobody: the app's `logout`
 * listener never ran and the tab went on showing the user as signed in.
 */
import { MemoryStore } from '@openrp/core'
import { completeLogin } from '@openrp/reference-server'
import { describe, expect, it } from 'vitest'
import { useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

/**
 * A shared MemoryStore whose next `get` of the session after `hold()` waits until `release()`;
 * `reached` resolves once that read has begun.
 */
class HeldStore extends MemoryStore {
  #held: Promise<void> | undefined
  #release = () => {}
  #reached = () => {}
  reached: Promise<void> = Promise.resolve()
  hold(): void {
    this.#held = new Promise((resolve) => {
      this.#release = resolve
    })
    this.reached = new Promise((resolve) => {
      this.#reached = resolve
    })
  }
  release(): void {
    this.#release()
  }
  override async get<T = unknown>(key: string): Promise<T | undefined> {
    if (key !== rp.key) return super.get<T>(key)
    const held = this.#held
    this.#held = undefined
    this.#reached()
    const value = await super.get<T>(key)
    await held
    return value
  }
}

describe('a tab starting up', () => {
  it("hears another tab's logout that arrives during its first store read", async () => {
    const store = new HeldStore()
    const a = rp.setup({ store })
    await a.spa.loginWithRedirect()
    a.navigator.url = (await completeLogin(a.navigator.assigned.at(-1)!)).url.toString()
    await a.spa.handleRedirectCallback()

    // Tab b starts: its first read of the shared store is slow.
    store.hold()
    const b = rp.setup({ store })
    const seen: string[] = []
    b.spa.on('logout', ({ source }) => seen.push(source))
    // Created after b's channel, this one hears a's message after b did (creation order).
    const probe = new BroadcastChannel(`openrp:${rp.key}`)
    const heard = new Promise((resolve) => {
      probe.onmessage = resolve
    })
    await store.reached
    await a.spa.logout({ localOnly: true })
    await heard
    probe.close()
    store.release()
    expect(await b.spa.isAuthenticated()).toBe(false)
    expect(seen).toEqual(['other-tab'])

    // The slow read's answer (the session before the logout) does not undo what b heard: a's
    // next login is a login in b too, not a renewal of the session b had at startup.
    const events: string[] = []
    const next = new Promise<void>((resolve) => {
      b.spa.on('login', () => resolve(void events.push('login')))
      b.spa.on('refreshed', () => resolve(void events.push('refreshed')))
    })
    await a.spa.loginWithRedirect()
    a.navigator.url = (await completeLogin(a.navigator.assigned.at(-1)!)).url.toString()
    await a.spa.handleRedirectCallback()
    await next
    expect(events).toEqual(['login'])
  })
})
