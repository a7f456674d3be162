import { defineConfig } from '@playwright/test';

// Real Chromium from the OS (Playwright's own browser download is not available everywhere).
const chromiumPath = process.env.ATTACHE_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'tests/e2e',
  // Each spec starts its own server and host processes on free loopback ports; two at once is
  // what two cores carry without flakiness.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  retries: 0,
  outputDir: 'test-results',
  projects: [
    {
      name: 'reader',
      testMatch: /reader\/.*\.spec\.ts/,
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: chromiumPath,
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--password-store=basic',
          ],
        },
        screenshot: 'only-on-failure',
        trace: 'retain-on-failure',
      },
    },
    { name: 'electron', testMatch: /electron\/.*\.spec\.ts/ },
  ],
});
