// openrp for a TV web app: createDeviceLogin (device flow, countdown, offline pause, resume)
// with tokens in IndexedDB and the Web Locks lock. The QR encoder (`qrcode`) is a dynamic
// import: it is counted here (dynamic imports are inlined), and absent from the SPA bundles.
import { createDeviceLogin, WebLocksLock } from '@openrp/browser'
import { ISSUER, SCOPE } from './shared.ts'

const login = createDeviceLogin({
  issuer: ISSUER,
  clientId: 'tv',
  scope: SCOPE,
  store: 'indexeddb',
  lock: new WebLocksLock(),
})

export const start = () => login.start()
export const subscribe = (render: Parameters<typeof login.subscribe>[0]) => login.subscribe(render)
export const getAccessToken = () => login.getAccessToken()
export const logout = () => login.logout()
