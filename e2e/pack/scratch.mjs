// The scratch project both packaging tests use: the four packages packed with `pnpm pack` (which
// runs each package's `prepack` build and the workspace's beforePacking hook), then installed
// from their tarballs with npm into a project outside the workspace, the way a user would get them:
// in the system's temp directory, so nothing of the workspace's node_modules resolves from it.
// The tarballs stay in .cache/pack/ (git-ignored).
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const root = resolve(import.meta.dirname, '../..')
export const tarballDir = join(root, '.cache/pack')
/** One per checkout, so that the runtime stage finds the project the packaging stage made. */
export const projectDir = join(
  tmpdir(),
  `openrp-pack-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`,
)
export const PACKAGES = ['core', 'browser', 'node', 'reference-server']

/** Runs a command; on failure, the error says what ran and what it printed. */
export async function sh(file, args, options = {}) {
  try {
    return await run(file, args, { maxBuffer: 64 * 1024 * 1024, ...options })
  } catch (error) {
    const out = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim()
    throw new Error(`${file} ${args.join(' ')} failed (exit ${error.code}):\n${out}`)
  }
}

/** The tarball of each package, by package directory name. */
export async function tarballs() {
  const files = await readdir(tarballDir)
  return Object.fromEntries(
    PACKAGES.map((name) => {
      const file = files.find((f) => f === `openrp-${name}-${versionOf(files, name)}.tgz`)
      if (!file) throw new Error(`no tarball of @openrp/${name} in ${tarballDir}`)
      return [name, join(tarballDir, file)]
    }),
  )
}

function versionOf(files, name) {
  const match = files
    .map((f) => new RegExp(`^openrp-${name}-(\\d+\\.\\d+\\.\\d+[^/]*)\\.tgz$`).exec(f))
    .find(Boolean)
  return match?.[1]
}

/** Packs the four packages (pnpm pack runs `prepack`: a fresh build of each). */
export async function packAll() {
  await rm(tarballDir, { recursive: true, force: true })
  await mkdir(tarballDir, { recursive: true })
  for (const name of PACKAGES) {
    await sh('pnpm', ['pack', '--pack-destination', tarballDir], {
      cwd: join(root, 'packages', name),
    })
  }
  return tarballs()
}

/**
 * A fresh project with the tarballs installed by npm (dependencies from the npm registry, through
 * npm's cache), plus @types/node for the consumer type checks. No optional peer of @openrp/node
 * (redis, qrcode, undici) is installed: the smoke flow checks that their absence is a typed error.
 */
export async function installProject(packed) {
  await rm(projectDir, { recursive: true, force: true })
  await mkdir(projectDir, { recursive: true })
  const dependencies = Object.fromEntries(
    PACKAGES.map((name) => [`@openrp/${name}`, `file:${packed[name]}`]),
  )
  await writeFile(
    join(projectDir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'openrp-pack-consumer',
        private: true,
        type: 'module',
        dependencies,
        devDependencies: { '@types/node': '^20.19.0' },
      },
      null,
      2,
    )}\n`,
  )
  await sh(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--no-package-lock',
    ],
    { cwd: projectDir },
  )
}

/**
 * Packs and installs; with `reuse`, keeps the project of an earlier run when it is there (the
 * test command runs the runtime stage right after the packaging stage made it). Copies the smoke
 * flow into the project, so its bare imports resolve to the installed tarballs.
 */
export async function prepareProject({ reuse: allowReuse = false } = {}) {
  const reuse = allowReuse && existsSync(join(projectDir, 'node_modules/@openrp/core/package.json'))
  const timings = {}
  if (!reuse) {
    let started = performance.now()
    const packed = await packAll()
    timings.packSec = (performance.now() - started) / 1000
    started = performance.now()
    await installProject(packed)
    timings.installSec = (performance.now() - started) / 1000
  }
  await cp(import.meta.dirname, join(projectDir, 'smoke'), {
    recursive: true,
    filter: (src) => !src.endsWith('.test.mjs'),
  })
  return { reused: reuse, ...timings, tarballs: await tarballs() }
}
