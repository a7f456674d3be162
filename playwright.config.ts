import { defineConfig } from '@playwright/test';
import type { E2eOptions, E2eWorkerOptions } from './tests/e2e/support/fixtures.js';

// Real Chromium from the OS (Playwright's own browser download is not available everywhere).
const chromiumPath = process.env.ATTACHE_CHROMIUM ?? '/usr/bin/chromium';

// One set of specs, two shells (tests/e2e/support/fixtures.ts):
// - tests/e2e/reader:   every spec runs in both projects, against the same product;
// - tests/e2e/browser:  only where the reader runs in a browser (the host's HTTP bridge);
// - tests/e2e/electron: only in the Electron app (window hardening, single instance).
// `npx playwright test --project=electron` runs the Electron suite alone; where the Electron
// binary is absent, its tests report themselves skipped with the reason.
export default defineConfig<E2eOptions, E2eWorkerOptions>({
  testDir: 'tests/e2e',
  // Each test starts its own server (and host or app) processes on free loopback ports; one at a
  // time is what two cores carry without flakiness.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  retries: 0,
  outputDir: 'test-results',
  use: {
    // The test's Chromium: the reader's tab in the chromium project, and in both projects the
    // person's system browser, where the provider's sign-in page opens.
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
  projects: [
    {
      name: 'chromium',
      testMatch: /(reader|browser)\/.*\.spec\.ts/,
      use: { shell: 'chromium' },
    },
    {
      // The product's flows again with the server on Apache CouchDB, the production database
      // (tests/support/couchdb.ts says where it comes from; without one they report themselves
      // skipped, and in CI that fails the run): every reader spec (annotations and PDF notes
      // among them). The browser-only specs (accessibility, the host bridge) test the page and
      // the host, which do not change with the database.
      name: 'chromium-couchdb',
      testMatch: /reader\/.*\.spec\.ts/,
      use: { shell: 'chromium', backend: 'couchdb' },
    },
    {
      name: 'electron',
      testMatch: /(reader|electron)\/.*\.spec\.ts/,
      use: { shell: 'electron' },
    },
  ],
});
