/**
 * Runs once before the suites: bundles the browser test pages, the demo SPA and the demo TV app. A bundle that
 * fails to build is reported here and by every test that needs it; the others still run.
 */
import { buildDemo } from './build-demo.ts'
import { buildPages } from './build-pages.ts'
import { buildTvDemo } from './build-tv-demo.ts'

export default async function globalSetup(): Promise<void> {
  const [pages, demo] = await Promise.all([buildPages(), buildDemo()])
  const tv = await buildTvDemo()
  const errors: Record<string, string | undefined> = { ...pages, 'demo-spa': demo, 'demo-tv': tv }
  for (const [name, error] of Object.entries(errors)) {
    if (error) console.error(`e2e: the "${name}" bundle did not build:\n${error}`)
  }
}
