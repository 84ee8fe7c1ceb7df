import { versionOf } from '../lib/machine.ts'
import { type BundleSize, bundleEntry } from './bundle.ts'
import { COMPETITORS, OPENRP_BUNDLES, type SizeSubject } from './libraries.ts'

export interface SizeRow {
  subject: SizeSubject
  versions: string
  size: BundleSize
}

/** Bundles the openrp entries and every competitor entry, one after the other (rollup is CPU-bound). */
export async function measureSizes(log: (line: string) => void = () => {}): Promise<SizeRow[]> {
  const rows: SizeRow[] = []
  for (const subject of [...OPENRP_BUNDLES, ...COMPETITORS]) {
    log(`  bundling ${subject.name}`)
    const size = await bundleEntry(subject.entry)
    const versions = subject.packages.map((p) => `${p}@${versionOf(p)}`).join(', ')
    rows.push({ subject, versions, size })
  }
  return rows
}
