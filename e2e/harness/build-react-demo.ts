/**
 * The React demo's bundles, one per mode (production and development), built once by global
 * setup (see bundle-build.ts). Its config takes absolute paths, so it builds beside the others.
 */
import { join, resolve } from 'node:path'
import { buildBundle, bundleBuildError } from './bundle-build.ts'

export const REACT_DEMO_DIR = resolve(import.meta.dirname, '..', '..', 'demo-react')
export const REACT_MODES = ['production', 'development'] as const
export type ReactMode = (typeof REACT_MODES)[number]

export async function buildReactDemo(mode: ReactMode): Promise<string | undefined> {
  const { demoConfig } = await import(join(REACT_DEMO_DIR, 'rollup.config.mjs'))
  return buildBundle(`react-demo-${mode}`, demoConfig(mode))
}

export const reactDemoBuildError = (mode: ReactMode) => bundleBuildError(`react-demo-${mode}`)
