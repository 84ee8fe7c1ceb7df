/**
 * How a sign-in demo ends: exit code 0 when it worked, 130 when the user cancelled (ABORTED),
 * 1 otherwise, with the error's message and an `ERROR=<code>` line for scripts and tests.
 */
import { isOpenRpError } from '@openrp/core'
import type { DemoProvider } from './provider.ts'

/** Runs `signIn`, reports a failure, closes the provider and exits the process. */
export async function runSignIn(
  provider: DemoProvider,
  signIn: () => Promise<void>,
): Promise<never> {
  let exitCode = 0
  try {
    await signIn()
  } catch (error) {
    exitCode = isOpenRpError(error, 'ABORTED') ? 130 : 1
    const code = isOpenRpError(error) ? error.code : 'UNEXPECTED'
    console.error(`\n${error instanceof Error ? error.message : String(error)}`)
    console.log(`ERROR=${code}`)
  } finally {
    await provider.close()
  }
  process.exit(exitCode)
}
