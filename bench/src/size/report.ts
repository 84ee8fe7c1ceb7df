/** `pnpm --filter @openrp/bench run size`: the size table alone, printed to stdout. */
import { measureSizes } from './measure.ts'
import { sizeChecks, sizeTable } from './table.ts'

const rows = await measureSizes((line) => console.error(line))
console.log(sizeTable(rows))
console.log()
for (const line of sizeChecks(rows)) console.log(line)
