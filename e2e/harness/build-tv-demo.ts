/** The demo TV app's bundle, built once by global setup (see bundle-build.ts). */
import { join, resolve } from 'node:path'
import { buildBundle, bundleBuildError } from './bundle-build.ts'

export const TV_DEMO_DIR = resolve(import.meta.dirname, '..', '..', 'demo-tv')

export async function buildTvDemo(): Promise<string | undefined> {
  // The config's paths are relative to the demo's folder. Global setup builds this after the
  // other bundles, so changing the working directory races with nothing.
  const config = (await import(join(TV_DEMO_DIR, 'rollup.config.mjs'))).default
  return buildBundle('tv-demo-build', config, TV_DEMO_DIR)
}

export const tvDemoBuildError = () => bundleBuildError('tv-demo-build')
