/** The demo SPA's bundle, built once by global setup (see bundle-build.ts). */
import { join, resolve } from 'node:path'
import { buildBundle, bundleBuildError } from './bundle-build.ts'

export const DEMO_DIR = resolve(import.meta.dirname, '..', '..', 'demo-spa')

export async function buildDemo(): Promise<string | undefined> {
  // The config's paths are relative to the demo's folder.
  const config = (await import(join(DEMO_DIR, 'rollup.config.mjs'))).default
  return buildBundle('demo-build', config, DEMO_DIR)
}

export const demoBuildError = () => bundleBuildError('demo-build')
