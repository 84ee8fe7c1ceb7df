// Runs the smoke flow in Node, Bun or Deno: `<runtime> node-entry.mjs '<config JSON>'`.
// Prints the steps that passed as one JSON line; a failure exits non-zero with the error.
import { smokeFlow } from './smoke-flow.mjs'

const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2)
const passed = await smokeFlow(JSON.parse(args[0]))
console.log(JSON.stringify({ passed }))
