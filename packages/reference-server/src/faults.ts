/** The active faults and their `times` counters. */
import type { EndpointName, Faults, HttpFault, IdTokenFaults } from './types.ts'

type Counted = { times?: number }

/** Holds the faults set by `control.setFaults` and hands each one out while it lasts. */
export class FaultState {
  #faults: Faults = {}

  set(faults: Faults): void {
    this.#faults = structuredClone(faults)
  }

  reset(): void {
    this.#faults = {}
  }

  get current(): Faults {
    return this.#faults
  }

  /** The HTTP fault for `endpoint`, counting one use. */
  http(endpoint: EndpointName): HttpFault | undefined {
    const http = this.#faults.http
    const fault = http?.[endpoint]
    if (!http || !fault) return undefined
    if (this.#consume(fault)) delete http[endpoint]
    return fault
  }

  /** The ID token fault applying to a token issued on `channel` by `grantType`, counting one use. */
  idToken(channel: 'authorization' | 'token', grantType?: string): IdTokenFaults | undefined {
    const fault = this.#faults.idToken
    if (!fault) return undefined
    if (fault.only?.channel && fault.only.channel !== channel) return undefined
    if (fault.only?.grantType && fault.only.grantType !== grantType) return undefined
    if (this.#consume(fault)) delete this.#faults.idToken
    return fault
  }

  authorizationResponse(): Faults['authorizationResponse'] {
    return this.#take('authorizationResponse')
  }

  tokenResponse(): Faults['tokenResponse'] {
    return this.#take('tokenResponse')
  }

  userinfo(): Faults['userinfo'] {
    return this.#take('userinfo')
  }

  registrationResponse(): Faults['registrationResponse'] {
    return this.#take('registrationResponse')
  }

  /** Takes one `slow_down` answer when the device fault asks for them. */
  deviceSlowDown(): boolean {
    const device = this.#faults.device
    if (!device?.slowDown || device.slowDown <= 0) return false
    device.slowDown -= 1
    return true
  }

  #take<K extends 'authorizationResponse' | 'tokenResponse' | 'userinfo' | 'registrationResponse'>(
    key: K,
  ): Faults[K] {
    const fault = this.#faults[key]
    if (!fault) return undefined
    if (this.#consume(fault as Counted)) delete this.#faults[key]
    return fault
  }

  /** Counts one use; true when the fault is used up and must be removed. */
  #consume(fault: Counted): boolean {
    if (fault.times === undefined) return false
    fault.times -= 1
    return fault.times <= 0
  }
}
