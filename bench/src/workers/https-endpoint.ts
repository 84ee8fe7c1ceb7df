/**
 * The local https token endpoint for msal-node, in its own process. Prints where it listens as
 * one JSON line, then serves until killed.
 */
import { serveHttpsTokenEndpoint } from '../lib/https-token-endpoint.ts'

const info = await serveHttpsTokenEndpoint(process.env.CERT!, process.env.KEY!)
console.log(JSON.stringify(info))
