import { accessSync, constants } from 'node:fs'

const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

/**
 * The Chromium binary tests drive: $CHROMIUM_PATH, else a system Chromium. Throws (never skips)
 * when there is none, so a missing browser fails the run loudly.
 */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH
  for (const path of fromEnv ? [fromEnv] : candidates) {
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {}
  }
  throw new Error(
    `No Chromium found (looked at ${fromEnv ?? candidates.join(', ')}). Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.`,
  )
}

/** Flags for a headless Chromium on a machine with no outside network. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-gpu',
  '--no-first-run',
  '--disable-quic',
]
