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

/** Each base64url character's 6-bit value by char code; -1 for the rest. */
const VALUES = new Int8Array(128).fill(-1)
for (let i = 0; i < 64; i++)
  VALUES['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i

/**
 * The bytes of base64url `text` (padding optional). Throws on text that is not base64url. Decoded
 * by table, not through `atob`, which is slow in Node and would need the alphabet swapped first:
 * an RSA signature is decoded on every token response.
 */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> {
  let end = text.length
  if (end % 4 === 0 && text.endsWith('=')) end -= text.endsWith('==') ? 2 : 1
  if (end % 4 === 1) throw new TypeError('Invalid base64url')
  const bytes = new Uint8Array((end * 3) >> 2)
  let bits = 0
  let count = 0
  let at = 0
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i)
    const value = code < 128 ? (VALUES[code] as number) : -1
    if (value < 0) throw new TypeError('Invalid base64url')
    bits = (bits << 6) | value
    count += 6
    if (count >= 8) {
      count -= 8
      bytes[at++] = (bits >> count) & 0xff
    }
  }
  return bytes
}
