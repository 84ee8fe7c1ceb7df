/** Decodes a JWT's header and claims for display (no validation: the SDK validated it). */
export interface DecodedJwt {
  header: Record<string, unknown>
  claims: Record<string, unknown>
}

export function decodeJwt(token: string | undefined): DecodedJwt | undefined {
  if (!token) return undefined
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    return { header: decodePart(parts[0]!), claims: decodePart(parts[1]!) }
  } catch {
    return undefined
  }
}

function decodePart(part: string): Record<string, unknown> {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/')
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4)
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0))
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
}

/** Pretty JSON with epoch-second claims annotated as dates. */
export function formatClaims(claims: Record<string, unknown>): string {
  const lines = JSON.stringify(claims, null, 2).split('\n')
  return lines
    .map((line) => {
      const match = /^\s+"(exp|iat|nbf|auth_time)": (\d+),?$/.exec(line)
      if (!match) return line
      return `${line}  // ${new Date(Number(match[2]) * 1000).toISOString()}`
    })
    .join('\n')
}

/** A short, non-reversible label for a token (to compare tabs without showing the token). */
export async function fingerprint(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('')
}
