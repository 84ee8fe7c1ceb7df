import { defineConfig } from '@playwright/test'
import { chromiumArgs, chromiumPath } from '@openrp/testkit'

// Real Chromium (the system's, through executablePath: no browser download), headless.
// Each suite starts what it needs (reference server, demo SPA, child processes) on free
// loopback ports, so suites can run side by side.
export default defineConfig({
  testDir: './tests',
  // Bundles the browser test pages (harness/pages) once before the suites.
  globalSetup: './harness/global-setup.ts',
  outputDir: './artifacts/test-results',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: process.env.CI ? 2 : 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['html', { outputFolder: './artifacts/report', open: 'never' }]],
  use: {
    headless: true,
    launchOptions: { executablePath: chromiumPath(), args: chromiumArgs },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
})
