/** Which user claims each OpenID scope releases (OIDC Core §5.4). */
import type { UserConfig } from './types.ts'

const SCOPE_CLAIMS: Record<string, string[]> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
}

/** The user's claims released by `scope`. */
export function claimsForScope(user: UserConfig, scope: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const s of scope) {
    for (const name of SCOPE_CLAIMS[s] ?? []) {
      if (user.claims[name] !== undefined) out[name] = user.claims[name]
    }
  }
  return out
}
