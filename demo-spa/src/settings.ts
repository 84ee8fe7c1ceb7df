/** The demo's own settings (which store, DPoP on/off, which client), kept in localStorage. */
export type StoreChoiceName = 'memory' | 'session' | 'indexeddb' | 'encrypted-indexeddb'
export type DemoClientKind = 'code' | 'legacy'

export interface DemoSettings {
  store: StoreChoiceName
  dpop: boolean
  /** Ask for `offline_access` (a refresh token); without it, renewal is a silent iframe. */
  refreshTokens: boolean
  client: DemoClientKind
  /**
   * The provider sends Cross-Origin-Opener-Policy (popup cut off from this page): no settings
   * control, set by the e2e suite in localStorage.
   */
  popupOpenerSevered: boolean
}

const KEY = 'openrp-demo.settings'
const STORES: StoreChoiceName[] = ['memory', 'session', 'indexeddb', 'encrypted-indexeddb']

export function loadSettings(): DemoSettings {
  const defaults: DemoSettings = {
    store: 'encrypted-indexeddb',
    dpop: false,
    refreshTokens: true,
    client: 'code',
    popupOpenerSevered: false,
  }
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<DemoSettings>
    return {
      store: STORES.includes(saved.store as StoreChoiceName)
        ? (saved.store as StoreChoiceName)
        : defaults.store,
      dpop: typeof saved.dpop === 'boolean' ? saved.dpop : defaults.dpop,
      refreshTokens:
        typeof saved.refreshTokens === 'boolean' ? saved.refreshTokens : defaults.refreshTokens,
      client: saved.client === 'legacy' ? 'legacy' : 'code',
      popupOpenerSevered: saved.popupOpenerSevered === true,
    }
  } catch {
    return defaults
  }
}

export function saveSettings(settings: DemoSettings): void {
  localStorage.setItem(KEY, JSON.stringify(settings))
}
