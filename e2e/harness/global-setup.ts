/**
 * Runs once before the suites: bundles the browser test pages. A page that fails to build is
 * reported here and by every test that opens it; the other pages still run.
 */
import { buildPages } from './build-pages.ts'

export default async function globalSetup(): Promise<void> {
  const errors = await buildPages()
  for (const [name, error] of Object.entries(errors)) {
    console.error(`e2e: the "${name}" test page did not build:\n${error}`)
  }
}
