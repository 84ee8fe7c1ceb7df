import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openBrowser } from '../src/open-browser.ts'

// A fake "browser": a real executable that records the URL it was given.
let dir: string
let opener: string
let record: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openrp-open-browser-'))
  opener = join(dir, 'browser.sh')
  record = join(dir, 'opened.txt')
  // Written aside and renamed: the record appears whole (a redirection creates it empty first).
  await writeFile(
    opener,
    `#!/bin/sh\nprintf '%s' "$1" > '${record}.part' && mv '${record}.part' '${record}'\n`,
  )
  await chmod(opener, 0o755)
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    try {
      return await readFile(path, 'utf8')
    } catch {
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  throw new Error(`${path} never appeared`)
}

describe('openBrowser', () => {
  it('runs $BROWSER with the URL as a single argument', async () => {
    const url = 'http://127.0.0.1:9/authorize?a=1&b=two words'
    expect(await openBrowser(url, { env: { BROWSER: opener } })).toBe(true)
    expect(await waitForFile(record)).toBe(new URL(url).href)
  })

  it('answers false, without throwing, when the opener does not exist', async () => {
    expect(await openBrowser('http://127.0.0.1:9/', { command: join(dir, 'missing') })).toBe(false)
  })

  it('answers false for BROWSER=none and for URLs that are not http(s)', async () => {
    expect(await openBrowser('http://127.0.0.1:9/', { env: { BROWSER: 'none' } })).toBe(false)
    expect(await openBrowser('file:///etc/passwd', { command: opener })).toBe(false)
    expect(await openBrowser('javascript:alert(1)', { command: opener })).toBe(false)
    expect(await openBrowser('not a url', { command: opener })).toBe(false)
  })
})
