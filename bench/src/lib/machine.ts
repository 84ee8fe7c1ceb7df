import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, totalmem } from 'node:os'

/** What the figures were measured on. */
export function machineInfo(): string {
  const cpu = cpus()
  return [
    `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'})`,
    `${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
    `Node.js ${process.version}`,
    `${process.platform}/${process.arch}`,
  ].join(', ')
}

const require = createRequire(new URL('../../package.json', import.meta.url))

/** The installed version of a package, as resolved from bench/. */
export function versionOf(pkg: string): string {
  try {
    const path = require.resolve(`${pkg}/package.json`)
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
  } catch {
    // Packages whose exports map hides package.json: walk up from the entry.
    const entry = require.resolve(pkg)
    let dir = entry
    for (let i = 0; i < 6; i++) {
      dir = dir.slice(0, dir.lastIndexOf('/'))
      try {
        const meta = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as {
          name?: string
          version: string
        }
        if (meta.name === pkg) return meta.version
      } catch {}
    }
    return 'unknown'
  }
}
