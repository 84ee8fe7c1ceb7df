/**
 * Unpadded base64url (RFC 4648 §5) over `btoa` / `atob`, which every runtime openrp supports.
 *
 * @module
 */

/** The unpadded base64url text of `bytes`. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The bytes of base64url `text` (padding optional). Throws on text that is not base64url. */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (/[+/]/.test(text)) throw new TypeError('Invalid base64url')
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  // A loop over the binary string: Uint8Array.from with a mapping function is several times slower.
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
