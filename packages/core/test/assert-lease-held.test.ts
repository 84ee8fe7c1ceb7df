// assertLeaseHeld: the one check TokenManager, ClientCredentialsProvider and the logout-token
// replay check make right before a step that must not happen twice.
import { describe, expect, it } from 'vitest'
import { assertLeaseHeld } from '../src/adapters.ts'
import { InProcessLock, LockLostError } from '../src/index.ts'

describe('assertLeaseHeld', () => {
  it('passes while the lease is held, and without a lease (a Lock that passes none)', async () => {
    await new InProcessLock().withLock('held', async (lease) => {
      expect(() => assertLeaseHeld(lease, 'held')).not.toThrow()
    })
    expect(() => assertLeaseHeld(undefined, 'none')).not.toThrow()
  })

  it('throws the LockLostError the signal aborted with, as it is', () => {
    const controller = new AbortController()
    const lost = new LockLostError('fleet', 'the key was gone')
    controller.abort(lost)
    expect(() => assertLeaseHeld({ signal: controller.signal }, 'fleet')).toThrow(lost)
  })

  it('wraps any other abort reason in a LockLostError (LOCK_LOST) naming the lock', () => {
    const controller = new AbortController()
    const reason = new Error('connection reset')
    controller.abort(reason)
    let thrown: unknown
    try {
      assertLeaseHeld({ signal: controller.signal }, 'custom-lock')
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(LockLostError)
    expect(thrown).toMatchObject({ code: 'LOCK_LOST', cause: reason })
    expect((thrown as Error).message).toContain('custom-lock')
  })
})
