import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'

const bundles = new Map<string, Promise<string>>()

/**
 * Bundles a TypeScript entry point (a test's child-process fixture) into one ES module that
 * plain `node` runs, once per test process, with the workspace packages taken from their sources
 * (the `openrp-source` condition) and every dependency inlined. Forking the bundle costs a
 * fraction of the CPU of `node --import tsx` on the entry (no loader, no per-file transform,
 * one file to read), which is most of a fleet test's time on a small machine.
 *
 * @param entry - Absolute path of the `.ts` entry point.
 * @returns The path of the bundle (`.mjs`), to give `fork()` without `execArgv`.
 * @example
 * const worker = fork(await bundledWorker(join(import.meta.dirname, 'fixtures', 'worker.ts')), [
 *   server.issuer,
 * ])
 */
export function bundledWorker(entry: string): Promise<string> {
  let bundle = bundles.get(entry)
  if (!bundle) {
    bundle = build(entry)
    bundles.set(entry, bundle)
    bundle.catch(() => bundles.delete(entry))
  }
  return bundle
}

async function build(entry: string): Promise<string> {
  const { build } = await import('esbuild')
  const outfile = join(
    mkdtempSync(join(tmpdir(), 'openrp-worker-')),
    `${basename(entry).replace(/\.[cm]?tsx?$/, '')}.mjs`,
  )
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['openrp-source'],
    logLevel: 'warning',
    // CommonJS dependencies inlined into an ES module still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __openrpRequire } from 'node:module'; const require = __openrpRequire(import.meta.url);",
    },
  })
  return outfile
}
