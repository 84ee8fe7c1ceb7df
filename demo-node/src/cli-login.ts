/**
 * The CLI login (RFC 8252): opens the system browser on the provider's sign-in page, catches
 * the answer on a one-shot listener at http://127.0.0.1:<free port>/callback, and prints who
 * signed in.
 *
 *   pnpm --filter @openrp/demo-node cli-login
 *
 * Prints `AUTHORIZATION_URL=...` and then `SIGNED_IN=<name>` (or `ERROR=<code>`) for scripts
 * and tests. BROWSER=none keeps the browser closed (open the printed URL yourself). See
 * README.md for the other environment variables.
 */
import { loopbackLogin } from '@openrp/node'
import { discoverDemoClient } from './client.ts'
import { setting, useProvider } from './provider.ts'
import { runSignIn } from './run.ts'

const env = process.env
const provider = await useProvider(env)
await runSignIn(provider, async () => {
  const client = await discoverDemoClient(env, provider.issuer, {
    clientId: 'cli',
    scope: 'openid profile email',
  })
  const timeoutSec = Number(setting(env, 'LOGIN_TIMEOUT', '300'))
  // Ctrl-C stops waiting and closes the listener.
  const cancel = new AbortController()
  process.once('SIGINT', () => cancel.abort())
  const prompt = setting(env, 'PROMPT')
  const tokens = await loopbackLogin(client, {
    ...(prompt !== undefined && { prompt }),
    timeoutMs: timeoutSec * 1000,
    signal: cancel.signal,
    onAuthorizationUrl: (url) => console.log(`AUTHORIZATION_URL=${url.href}\n`),
  })
  const user = await client.userinfo(tokens)
  const name = typeof user.name === 'string' ? user.name : user.sub
  console.log(`\nSigned in as ${name}${typeof user.email === 'string' ? ` <${user.email}>` : ''}.`)
  console.log(`SIGNED_IN=${name}`)
})
