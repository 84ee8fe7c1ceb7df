import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

const names = ['chromium', 'chromium-browser', 'google-chrome']

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The Chromium binary tests drive: $CHROMIUM_PATH, else a system Chromium or Chrome on the PATH.
 * Throws (never skips) when there is none, so a missing browser fails the run loudly.
 */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) {
    if (executable(fromEnv)) return fromEnv
    throw new Error(`CHROMIUM_PATH=${fromEnv} is not an executable file.`)
  }
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name)
      if (executable(path)) return path
    }
  }
  throw new Error(
    `No Chromium found (looked for ${names.join(', ')} on the PATH). Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.`,
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
