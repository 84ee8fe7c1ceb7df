/**
 * Regression: a SpaClient used after close() (a late call from a component that unmounted)
 * created its cross-tab channel then, and closed only its TokenManager: the BroadcastChannel
 * stayed open for good (in Node it also keeps the process alive).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useSpaServer } from './spa-server.ts'

const rp = useSpaServer()

/** BroadcastChannel that remembers which of its instances were closed. */
class TrackedChannel extends BroadcastChannel {
  static open = new Set<TrackedChannel>()
  constructor(name: string) {
    super(name)
    TrackedChannel.open.add(this)
  }
  override close(): void {
    TrackedChannel.open.delete(this)
    super.close()
  }
}

afterEach(() => {
  vi.unstubAllGlobals()
  for (const channel of TrackedChannel.open) channel.close()
})

describe('a closed SpaClient', () => {
  it('leaves no cross-tab channel open when it is used after close()', async () => {
    vi.stubGlobal('BroadcastChannel', TrackedChannel)
    const { spa } = rp.setup()
    spa.close()
    expect(await spa.getTokenSet()).toBeUndefined()
    expect(TrackedChannel.open.size).toBe(0)
  })
})
