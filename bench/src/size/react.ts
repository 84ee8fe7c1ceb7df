/**
 * The React layers' own cost: each binding's bundle (provider, protected route, the hook for
 * login, access token and logout; React itself left out) minus its own core's bundle doing the
 * same steps (bench/size/entries/). Same rollup settings as every size bundle.
 */
import { versionOf } from '../lib/machine.ts'
import { type BundleSize, bundleEntry } from './bundle.ts'

/** Every app with a React layer already ships these: they are not counted. */
export const REACT_EXTERNALS = ['react', 'react-dom'] as const

export interface ReactLayerSubject {
  name: string
  /** Entry with the React layer (under bench/size/entries/). */
  entry: string
  /** Entry of the core it runs on, doing the same steps without React. */
  core: string
  /** Packages whose versions the table reports. */
  packages: string[]
  note: string
}

export const OPENRP_REACT: ReactLayerSubject = {
  name: '@openrp/react',
  entry: 'openrp-react.ts',
  core: 'openrp.ts',
  packages: ['@openrp/react', '@openrp/browser'],
  note: 'AuthProvider (options) + RequireAuth + useAuth, over createSpaClient',
}

export const REACT_LAYERS: ReactLayerSubject[] = [
  OPENRP_REACT,
  {
    name: '@openrp/react (client from new SpaClient)',
    entry: 'openrp-react-spa-client.ts',
    core: 'openrp-spa-client.ts',
    packages: ['@openrp/react', '@openrp/browser'],
    note: 'the same with a client made by new SpaClient: createSpaClient comes along (AuthProvider also takes options)',
  },
  {
    name: '@auth0/auth0-react',
    entry: 'auth0-react.ts',
    core: 'auth0-spa-js.ts',
    packages: ['@auth0/auth0-react', '@auth0/auth0-spa-js'],
    note: 'Auth0Provider + withAuthenticationRequired + useAuth0, over auth0-spa-js',
  },
  {
    name: 'react-oidc-context',
    entry: 'react-oidc-context.ts',
    core: 'oidc-client-ts.ts',
    packages: ['react-oidc-context', 'oidc-client-ts'],
    note: 'AuthProvider + withAuthenticationRequired + useAuth, over oidc-client-ts',
  },
]

export interface ReactLayerRow {
  subject: ReactLayerSubject
  versions: string
  whole: BundleSize
  core: BundleSize
  /** What the React layer adds: whole minus core, per measure. */
  layer: { min: number; gzip: number; brotli: number }
}

/** Bundles one layer and its core. */
export async function measureReactLayer(subject: ReactLayerSubject): Promise<ReactLayerRow> {
  const whole = await bundleEntry(subject.entry, { external: REACT_EXTERNALS })
  const core = await bundleEntry(subject.core)
  return {
    subject,
    versions: subject.packages.map((p) => `${p}@${versionOf(p)}`).join(', '),
    whole,
    core,
    layer: {
      min: whole.min - core.min,
      gzip: whole.gzip - core.gzip,
      brotli: whole.brotli - core.brotli,
    },
  }
}

/** Every layer, one after the other (rollup is CPU-bound). */
export async function measureReactLayers(
  log: (line: string) => void = () => {},
): Promise<ReactLayerRow[]> {
  const rows: ReactLayerRow[] = []
  for (const subject of REACT_LAYERS) {
    log(`  bundling ${subject.name} and its core`)
    rows.push(await measureReactLayer(subject))
  }
  return rows
}

/** Imports left in a React layer's bundle other than React's own. */
export function strayImports(row: ReactLayerRow): string[] {
  return row.whole.externals.filter(
    (id) => !REACT_EXTERNALS.some((name) => id === name || id.startsWith(`${name}/`)),
  )
}
