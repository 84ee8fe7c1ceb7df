import { kb } from './bundle.ts'
import type { SizeRow } from './measure.ts'
import { table } from '../lib/format.ts'

/** The size table: bytes and the ratio of each library's bytes to openrp's. */
export function sizeTable(rows: SizeRow[]): string {
  const openrp = rows.find((r) => r.subject.entry === 'openrp.ts')
  if (!openrp) throw new Error('the openrp row is missing')
  const r = (a: number, b: number) => `${(a / b).toFixed(2)}x`
  return table(
    [
      'library',
      'versions',
      'verifies ID-token signatures',
      'min',
      'min+gzip',
      'min+brotli',
      'gzip vs openrp',
      'brotli vs openrp',
      'notes',
    ],
    rows.map(({ subject, versions, size }) => [
      subject.entry.startsWith('openrp') ? `**${subject.name}**` : subject.name,
      versions,
      subject.verifiesSignatures ? 'yes' : 'no',
      kb(size.min),
      kb(size.gzip),
      kb(size.brotli),
      r(size.gzip, openrp.size.gzip),
      r(size.brotli, openrp.size.brotli),
      subject.note,
    ]),
  )
}

/** Lines about the openrp bundles' contents (forbidden strings, outside imports). */
export function sizeChecks(rows: SizeRow[]): string[] {
  return rows
    .filter((r) => r.subject.entry.startsWith('openrp'))
    .flatMap(({ subject, size }) => [
      size.forbidden.filter((label) => !subject.allows?.includes(label)).length === 0
        ? `${subject.name}: no device-flow, token-exchange, JWT/SAML-bearer or Redis strings, no \`node:\` imports.`
        : `${subject.name} CONTAINS: ${size.forbidden.join(', ')}.`,
      size.externals.length === 0
        ? `${subject.name}: self-contained (no imports left outside the bundle).`
        : `${subject.name} imports from outside: ${size.externals.join(', ')}.`,
    ])
}
