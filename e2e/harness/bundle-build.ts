/**
 * Builds one demo bundle with the demo's own rollup config in global setup, so every worker
 * starts the demo with `--no-build`. A failed build is kept in `.cache/<name>.error.txt` and
 * reported by the tests that need that bundle; the others still run.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { RollupOptions, OutputOptions } from 'rollup'
import { rollup } from 'rollup'

const errorFile = (name: string) =>
  resolve(import.meta.dirname, '..', '.cache', `${name}.error.txt`)

/**
 * Builds `config`; with `cwd`, from that folder (for configs whose paths are relative to it: only
 * one such build may run at a time). Resolves to the error text, or undefined when it built.
 */
export async function buildBundle(
  name: string,
  config: RollupOptions & { output: OutputOptions },
  cwd?: string,
): Promise<string | undefined> {
  await mkdir(resolve(errorFile(name), '..'), { recursive: true })
  await rm(errorFile(name), { force: true })
  const previous = process.cwd()
  if (cwd) process.chdir(cwd)
  try {
    const bundle = await rollup({ ...config, onwarn: () => {} })
    try {
      await bundle.write(config.output)
    } finally {
      await bundle.close()
    }
    return undefined
  } catch (error) {
    const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)
    await writeFile(errorFile(name), text)
    return text
  } finally {
    if (cwd) process.chdir(previous)
  }
}

/** The error of the last build of `name`, or undefined when it built. */
export async function bundleBuildError(name: string): Promise<string | undefined> {
  try {
    return await readFile(errorFile(name), 'utf8')
  } catch {
    return undefined
  }
}
