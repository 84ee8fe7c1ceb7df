// What a hand-rolled SPA on oauth4webapi or openid-client must add itself: a login transaction
// in sessionStorage, tokens in localStorage, a cross-tab lock around refresh (Web Locks).
export interface Transaction {
  codeVerifier: string
  state: string
  nonce: string
}
export interface StoredTokens {
  access_token: string
  refresh_token?: string
  id_token?: string
  expires_at: number
}

const TX_KEY = 'auth.tx'
const TOKENS_KEY = 'auth.tokens'

export function saveTransaction(tx: Transaction): void {
  sessionStorage.setItem(TX_KEY, JSON.stringify(tx))
}
export function takeTransaction(): Transaction {
  const raw = sessionStorage.getItem(TX_KEY)
  sessionStorage.removeItem(TX_KEY)
  if (!raw) throw new Error('no login transaction')
  return JSON.parse(raw) as Transaction
}
export function readTokens(): StoredTokens | undefined {
  const raw = localStorage.getItem(TOKENS_KEY)
  return raw ? (JSON.parse(raw) as StoredTokens) : undefined
}
export function saveTokens(
  res: { access_token: string; refresh_token?: string; id_token?: string; expires_in?: number },
  previous?: StoredTokens,
): StoredTokens {
  const tokens: StoredTokens = {
    access_token: res.access_token,
    refresh_token: res.refresh_token ?? previous?.refresh_token,
    id_token: res.id_token ?? previous?.id_token,
    expires_at: Math.floor(Date.now() / 1000) + (res.expires_in ?? 0),
  }
  localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens))
  return tokens
}
export function clearTokens(): void {
  localStorage.removeItem(TOKENS_KEY)
}
export const isFresh = (t: StoredTokens): boolean => t.expires_at - 30 > Date.now() / 1000
/** Refresh under a cross-tab lock, re-reading the store first (another tab may have refreshed). */
export async function refreshOnce(refresh: (current: StoredTokens) => Promise<StoredTokens>) {
  return navigator.locks.request('auth.refresh', async () => {
    const current = readTokens()
    if (current && isFresh(current)) return current.access_token
    if (!current?.refresh_token) throw new Error('not signed in')
    return (await refresh(current)).access_token
  })
}
