/**
 * Builds the React demo once per mode (production and development, its own rollup config), so
 * every worker starts it with `--no-build`. A failed build is kept and reported by the tests
 * that need it.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { rollup } from 'rollup'

export const REACT_DEMO_DIR = resolve(import.meta.dirname, '..', '..', 'demo-react')
export const REACT_MODES = ['production', 'development'] as const
export type ReactMode = (typeof REACT_MODES)[number]

const errorFile = (mode: ReactMode) =>
  resolve(import.meta.dirname, '..', '.cache', `react-demo-${mode}.error.txt`)

export async function buildReactDemo(mode: ReactMode): Promise<string | undefined> {
  await mkdir(resolve(errorFile(mode), '..'), { recursive: true })
  await rm(errorFile(mode), { force: true })
  try {
    const { demoConfig } = await import(join(REACT_DEMO_DIR, 'rollup.config.mjs'))
    const config = demoConfig(mode)
    const bundle = await rollup({ ...config, onwarn: () => {} })
    try {
      await bundle.write(config.output)
    } finally {
      await bundle.close()
    }
    return undefined
  } catch (error) {
    const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)
    await writeFile(errorFile(mode), text)
    return text
  }
}

export async function reactDemoBuildError(mode: ReactMode): Promise<string | undefined> {
  try {
    return await readFile(errorFile(mode), 'utf8')
  } catch {
    return undefined
  }
}
