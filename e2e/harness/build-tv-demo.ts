/**
 * Builds the demo TV app's bundle once (its own rollup config), so every worker can start it
 * with `--no-build`. A failed build is kept and reported by the tests that need the TV demo.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { rollup } from 'rollup'

export const TV_DEMO_DIR = resolve(import.meta.dirname, '..', '..', 'demo-tv')
const ERROR_FILE = resolve(import.meta.dirname, '..', '.cache', 'tv-demo-build.error.txt')

export async function buildTvDemo(): Promise<string | undefined> {
  await mkdir(resolve(ERROR_FILE, '..'), { recursive: true })
  await rm(ERROR_FILE, { force: true })
  const previous = process.cwd()
  try {
    const config = (await import(join(TV_DEMO_DIR, 'rollup.config.mjs'))).default
    // The config's paths are relative to the demo's folder. Global setup builds this after the
    // other bundles, so changing the working directory races with nothing.
    process.chdir(TV_DEMO_DIR)
    const bundle = await rollup({ ...config, onwarn: () => {} })
    try {
      await bundle.write(config.output)
    } finally {
      await bundle.close()
    }
    return undefined
  } catch (error) {
    const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)
    await writeFile(ERROR_FILE, text)
    return text
  } finally {
    process.chdir(previous)
  }
}

export async function tvDemoBuildError(): Promise<string | undefined> {
  try {
    return await readFile(ERROR_FILE, 'utf8')
  } catch {
    return undefined
  }
}
