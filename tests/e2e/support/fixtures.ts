// The end-to-end fixture: every spec under tests/e2e/reader runs in both projects of
// playwright.config.ts, against the reader in Chromium (browser host) and in the real Electron
// app. A spec asks for `product` (the server, started for this test) and `reader` (the device,
// in the project's shell, not yet open):
//
//   import { expect, test } from '../support/fixtures.js';
//   test('…', async ({ product, reader }) => {
//     const page = await reader.open();
//     await signIn(reader);
//     …
//   });
//
// Each test gets its own product: its own ports and data folders (server and device).
// `test.use({ productOptions: { maxOfflineDays: 0.0001 } })` sets the product's options.
// Where the Electron binary is absent, every test of the electron project reports itself
// skipped with the reason, before anything starts.
import { test as base, expect } from '@playwright/test';
import { installedElectronBinary } from '../../../scripts/electron-installed.mjs';
import type { CouchDbSource } from '../../support/couchdb.js';
import { acquireTestCouchDb, findCouchDb, skipReason } from '../../support/couchdb.js';
import { Product, type ProductOptions } from './product.js';
import { chromiumReader, electronReader, type Reader, type Shell } from './shells.js';

/** The database under the server: its embedded one, or Apache CouchDB (the couchdb projects). */
export type Backend = 'embedded' | 'couchdb';

export type E2eOptions = {
  /** Which shell the reader runs in; set per project in playwright.config.ts. */
  readonly shell: Shell;
  /** Options of the product each test starts (offline period, the device's log level). */
  readonly productOptions: ProductOptions;
};

export type E2eWorkerOptions = {
  /** Which database the server runs on; set per project in playwright.config.ts. */
  readonly backend: Backend;
};

type WorkerFixtures = {
  /**
   * For the couchdb projects: one Apache CouchDB for the worker's tests, which take turns on it
   * (each test's server finds Attaché's databases deleted), or why there is none here (outside
   * CI the tests then report themselves skipped; in CI that fails the run).
   */
  readonly couchDb: Exclude<CouchDbSource, { kind: 'instances' }> | null;
};

export type E2eFixtures = {
  readonly product: Product;
  readonly reader: Reader;
  /** The Electron binary, where the electron project runs; skips the test where it is absent. */
  readonly electronBinary: string | null;
};

const MISSING_ELECTRON = process.env['ELECTRON_SKIP_BINARY_DOWNLOAD']
  ? 'Electron binary not installed: ELECTRON_SKIP_BINARY_DOWNLOAD is set; the electron project runs wherever `npm ci` downloaded it'
  : 'Electron binary not installed on this machine (`npm ci` could not download it, see its notice); the electron project runs wherever it could';

export const test = base.extend<E2eFixtures & E2eOptions, E2eWorkerOptions & WorkerFixtures>({
  shell: ['chromium', { option: true }],
  productOptions: [{}, { option: true }],
  backend: ['embedded', { option: true, scope: 'worker' }],

  couchDb: [
    async ({ backend }, use) => {
      if (backend !== 'couchdb') return use(null);
      // A shared server where the environment names one, else one instance for this worker.
      const source = await findCouchDb('server');
      const reason = skipReason(source);
      if (reason !== null) return use({ kind: 'unavailable', reason });
      if (source.kind === 'server') return use(source);
      if (source.kind === 'unavailable') return use(source);
      const instance = await acquireTestCouchDb(source);
      try {
        await use({
          kind: 'server',
          server: {
            url: instance.url,
            user: instance.admin.username,
            password: instance.admin.password,
            dataDir: instance.dataDir,
            jwtKeyFile: instance.config.couchJwtKeyFile ?? null,
          },
        });
      } finally {
        await instance.release();
      }
    },
    { scope: 'worker' },
  ],

  // Runs first in every test (auto), so a missing binary skips before any process starts.
  electronBinary: [
    async ({ shell }, use, testInfo) => {
      const binary = shell === 'electron' ? installedElectronBinary() : null;
      testInfo.skip(shell === 'electron' && binary === null, MISSING_ELECTRON);
      await use(binary);
    },
    { auto: true },
  ],

  product: async ({ productOptions, couchDb }, use, testInfo) => {
    if (couchDb?.kind === 'unavailable') testInfo.skip(true, couchDb.reason);
    const couch = couchDb?.kind === 'server' ? await acquireTestCouchDb(couchDb) : null;
    try {
      const product = await Product.start({
        ...productOptions,
        startHost: false,
        ...(couch ? { serverEnvironment: couch.env } : {}),
      });
      try {
        await use(product);
      } finally {
        if (testInfo.status !== testInfo.expectedStatus) {
          await testInfo.attach('product-logs', {
            body: product.logs(),
            contentType: 'text/plain',
          });
        }
        await product.stop();
      }
    } finally {
      await couch?.release();
    }
  },

  // Playwright plays the person's own browser, which does not know the product's development
  // CA: like a person clicking through the warning, it accepts the provider's certificate. The
  // device itself verifies it (msal-node trusts exactly ATTACHE_TLS_CA_FILE beside the roots).
  ignoreHTTPSErrors: true,

  reader: async ({ shell, electronBinary, product, context, page }, use, testInfo) => {
    const reader =
      shell === 'electron' && electronBinary
        ? electronReader(electronBinary, product, context)
        : chromiumReader(product, page);
    try {
      await use(reader);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('device-output', {
          body: reader.output(),
          contentType: 'text/plain',
        });
      }
      await reader.dispose();
    }
  },
});

export { expect };
