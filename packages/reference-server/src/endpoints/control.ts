/**
 * POST /__control (only with `enableControlEndpoint`): the control API over HTTP for browser
 * tests. Body: `{ "action": "setFaults", "faults": {...} }`, `{ "action": "requests",
 * "filter": {...} }`, `{ "action": "approveDevice", "userCode": "...", "username": "..." }`, ...
 * Holds: `{ "action": "hold", "hold": { "endpoint": "token" } }` → `{ id }`, then
 * `waitUntilHeld` / `holdStatus` / `releaseNext` / `release` with that `id`.
 */
import type { Hono } from 'hono'
import type { AppEnv } from '../http.ts'
import type { Faults, Hold, HoldOptions, ServerControl } from '../types.ts'

interface ControlBody {
  action?: string
  faults?: Faults
  dropOld?: boolean
  filter?: Parameters<ServerControl['requests']>[0]
  userCode?: string
  username?: string
  seconds?: number
  hold?: HoldOptions
  /** A hold's id (from the `hold` action). */
  id?: string
  count?: number
  timeoutMs?: number
}

export function registerControl(app: Hono<AppEnv>, control: ServerControl): void {
  const holds = new Map<string, Hold>()
  let nextHold = 1
  const holdOf = (id: unknown): Hold => {
    const hold = holds.get(String(id))
    if (!hold) throw new Error(`unknown hold ${String(id)}`)
    return hold
  }
  app.post('/__control', async (c) => {
    let body: ControlBody
    try {
      body = await c.req.json()
    } catch {
      return c.json({ error: 'invalid_request', error_description: 'JSON body required' }, 400)
    }
    try {
      switch (body.action) {
        case 'setFaults':
          control.setFaults(body.faults ?? {})
          return c.json({ ok: true })
        case 'resetFaults':
          control.resetFaults()
          return c.json({ ok: true })
        case 'rotateKeys':
          await control.rotateKeys({ dropOld: Boolean(body.dropOld) })
          return c.json({ ok: true })
        case 'requests':
          return c.json({ ok: true, requests: control.requests(body.filter) })
        case 'clearRequests':
          control.clearRequests()
          return c.json({ ok: true })
        case 'approveDevice':
          control.approveDevice(String(body.userCode), body.username)
          return c.json({ ok: true })
        case 'denyDevice':
          control.denyDevice(String(body.userCode))
          return c.json({ ok: true })
        case 'hold': {
          if (!body.hold?.endpoint) throw new Error('hold.endpoint is required')
          const id = String(nextHold++)
          holds.set(id, control.hold(body.hold))
          return c.json({ ok: true, id })
        }
        case 'waitUntilHeld': {
          const hold = holdOf(body.id)
          await hold.waitUntilHeld(body.count ?? 1, { timeoutMs: body.timeoutMs ?? 10_000 })
          return c.json({ ok: true, held: hold.held, total: hold.total })
        }
        case 'holdStatus': {
          const hold = holdOf(body.id)
          return c.json({ ok: true, held: hold.held, total: hold.total, active: hold.active })
        }
        case 'releaseNext':
          return c.json({ ok: true, released: holdOf(body.id).releaseNext() })
        case 'release':
          holdOf(body.id).release()
          holds.delete(String(body.id))
          return c.json({ ok: true })
        case 'setClockOffset':
          control.setClockOffset(Number(body.seconds ?? 0))
          return c.json({ ok: true })
        default:
          return c.json({ error: 'invalid_request', error_description: 'unknown action' }, 400)
      }
    } catch (err) {
      return c.json({ error: 'invalid_request', error_description: (err as Error).message }, 400)
    }
  })
}
