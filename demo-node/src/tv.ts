/**
 * The TV app: signs a user in with the device flow (RFC 8628) in the terminal — QR code,
 * countdown, polling status — and ends with the signed-in user's name.
 *
 *   pnpm --filter @openrp/demo-node tv
 *
 * Besides the human-readable screen it prints `KEY=value` lines (VERIFICATION_URI,
 * VERIFICATION_URI_COMPLETE, USER_CODE, EXPIRES_AT, SIGNED_IN or ERROR) for scripts and tests.
 * See README.md for the environment variables.
 */
import { writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { deviceLogin, FileStore } from '@openrp/node'
import { discoverDemoClient } from './client.ts'
import { setting, useProvider } from './provider.ts'
import { runSignIn } from './run.ts'

const env = process.env
const provider = await useProvider(env, {
  deviceInterval: optionalNumber(env.DEVICE_INTERVAL),
  deviceCodeTtl: optionalNumber(env.DEVICE_CODE_TTL),
})
await runSignIn(provider, async () => {
  const client = await discoverDemoClient(env, provider.issuer, {
    clientId: 'tv',
    scope: 'openid profile',
  })
  // Where a pending sign-in waits across restarts: run the app again before the code expires
  // and it shows the same code.
  const store = new FileStore({
    dir: setting(env, 'TV_STATE_DIR', join(homedir(), '.cache', 'openrp-demo', 'tv')),
  })
  const svgFile = setting(env, 'QR_SVG_FILE')

  const tokens = await deviceLogin(client, {
    store,
    onPrompt: async (prompt) => {
      console.log(`VERIFICATION_URI=${prompt.verificationUri}`)
      if (prompt.verificationUriComplete)
        console.log(`VERIFICATION_URI_COMPLETE=${prompt.verificationUriComplete}`)
      console.log(`USER_CODE=${prompt.userCode}`)
      console.log(`EXPIRES_AT=${new Date(prompt.expiresAt * 1000).toISOString()}`)
      if (prompt.resumed) console.log('RESUMED=true')
      if (svgFile && prompt.qr) {
        await writeFile(svgFile, prompt.qr.svg)
        console.log(`QR_SVG=${svgFile}`)
      }
      console.log('')
    },
  })
  const user = await client.userinfo(tokens)
  const name = typeof user.name === 'string' ? user.name : user.sub
  console.log(`\nWelcome, ${name}!`)
  console.log(`SIGNED_IN=${name}`)
})

function optionalNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  const n = Number(value)
  if (!Number.isFinite(n)) throw new Error(`not a number: ${value}`)
  return n
}
