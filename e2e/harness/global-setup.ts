/**
 * Runs once before the suites: bundles the browser test pages, the demo SPA, the demo TV app
 * and the React demo (production and development builds). A bundle that fails to build is
 * reported here and by every test that needs it; the others still run.
 */
import { buildDemo } from './build-demo.ts'
import { buildPages } from './build-pages.ts'
import { buildReactDemo } from './build-react-demo.ts'
import { buildTvDemo } from './build-tv-demo.ts'

export default async function globalSetup(): Promise<void> {
  const [pages, demo, reactProduction, reactDevelopment] = await Promise.all([
    buildPages(),
    buildDemo(),
    buildReactDemo('production'),
    buildReactDemo('development'),
  ])
  const tv = await buildTvDemo()
  const errors: Record<string, string | undefined> = {
    ...pages,
    'demo-spa': demo,
    'demo-tv': tv,
    'demo-react (production)': reactProduction,
    'demo-react (development)': reactDevelopment,
  }
  for (const [name, error] of Object.entries(errors)) {
    if (error) console.error(`e2e: the "${name}" bundle did not build:\n${error}`)
  }
}
