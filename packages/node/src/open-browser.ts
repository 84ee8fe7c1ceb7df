/**
 * Opens a URL in the user's browser when the machine has one, without ever throwing.
 *
 * @module
 */
import { spawn } from 'node:child_process'

/** Options of {@link openBrowser}. */
export interface OpenBrowserOptions {
  /**
   * The command to run with the URL as its only argument. Defaults to `$BROWSER` when set,
   * else the platform's opener: `open` (macOS), `xdg-open` (Linux and other Unixes) or
   * `rundll32 url.dll,FileProtocolHandler` (Windows, which needs no shell quoting, unlike
   * `start`). `$BROWSER=none` disables opening.
   */
  command?: string
  /** Environment variables to read `BROWSER` from (default `process.env`). */
  env?: NodeJS.ProcessEnv
}

/**
 * Asks the system to open `url` (only `http:` and `https:` URLs) in a browser. Resolves `true`
 * when an opener was started, `false` when there is none, `$BROWSER` is `none`, or the URL is
 * not http(s). Never throws and never waits for the browser: the opener is detached.
 *
 * A `true` answer does not prove a window appeared (headless machines have openers too), so
 * callers should print the URL as well.
 *
 * @example
 * ```ts
 * if (!(await openBrowser(url))) console.log(`Open this page to sign in: ${url}`)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-4.1 (use the system browser)
 */
export async function openBrowser(
  url: string | URL,
  options: OpenBrowserOptions = {},
): Promise<boolean> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return false
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return false
  const env = options.env ?? process.env
  const configured = options.command ?? env.BROWSER
  if (configured !== undefined && ['', 'none', 'false', '0'].includes(configured.trim()))
    return false
  const [command, args] = configured ? [configured, []] : platformOpener()
  return new Promise<boolean>((resolve) => {
    try {
      const child = spawn(command, [...args, target.href], {
        detached: true,
        stdio: 'ignore',
        windowsHide: true,
      })
      child.once('error', () => resolve(false))
      child.once('spawn', () => {
        child.unref()
        resolve(true)
      })
    } catch {
      resolve(false)
    }
  })
}

function platformOpener(): [string, string[]] {
  switch (process.platform) {
    case 'darwin':
      return ['open', []]
    case 'win32':
      return ['rundll32', ['url.dll,FileProtocolHandler']]
    default:
      return ['xdg-open', []]
  }
}
