// The walking-skeleton scenario through the real Electron app, driven by Playwright's Electron
// driver. It runs wherever an Electron binary is installed; where it is not (CI machines that
// cannot download it), it reports itself skipped with the reason, never passed.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  _electron as electron,
  expect,
  test,
  type ElectronApplication,
  type Page,
} from '@playwright/test';
import { API_EVENTS, API_VERBS } from '../../../src/shared/ipc.js';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { Product } from '../support/product.js';
import { signInElectron } from '../support/sign-in.js';

const repo = resolve(import.meta.dirname, '../../..');

function electronBinary(): string | null {
  try {
    // The electron package exports the binary's path, and throws when it was never downloaded.
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}
const binary = electronBinary();

test.skip(
  binary === null,
  'Electron binary not installed on this machine (its download from GitHub is unavailable here); this suite runs wherever `npm ci` could download it',
);

let product: Product;
let userData: string;

test.beforeEach(async () => {
  product = await Product.start();
  await product.stopHost(); // the Electron app is the device here
  userData = mkdtempSync(join(tmpdir(), 'attache-electron-'));
});

test.afterEach(async () => {
  await product.stop();
  rmSync(userData, { recursive: true, force: true });
});

async function launch(): Promise<{ app: ElectronApplication; page: Page }> {
  const app = await electron.launch({
    executablePath: binary ?? undefined,
    args: [join(repo, 'out/main/index.js'), `--user-data-dir=${userData}`],
    env: {
      ...process.env,
      ATTACHE_BROKER_URL: `http://127.0.0.1:${product.ports.broker}`,
      ATTACHE_AUTHORITY: product.authority,
      ATTACHE_TLS_CA_FILE: product.caFile,
    },
  });
  const page = await app.firstWindow();
  return { app, page };
}

const briefingButton = (page: Page, title: string) =>
  page
    .getByRole('navigation', { name: 'Briefings' })
    .getByRole('button', { name: title, exact: true });

test('a shared briefing reaches the Electron reader, stays readable offline, and goes on unshare', async () => {
  let { app, page } = await launch();
  // The page sees the contract's verbs and nothing of Node or Electron.
  const surface = await page.evaluate(() => {
    const g = globalThis as { require?: unknown; process?: unknown; attache?: object };
    return {
      require: typeof g.require,
      process: typeof g.process,
      verbs: Object.keys(g.attache ?? {}).sort(),
    };
  });
  expect(surface.require).toBe('undefined');
  expect(surface.process).toBe('undefined');
  expect(surface.verbs).toEqual([...Object.keys(API_VERBS), ...Object.keys(API_EVENTS)].sort());
  expect(await app.evaluate(({ app: electronApp }) => electronApp.hasSingleInstanceLock())).toBe(
    true,
  );
  await signInElectron(app, page);

  const tag = randomUUID().slice(0, 8);
  const title = `Electron delivery check ${tag}`;
  const { sorId } = await product.createBriefing({
    title,
    bodyHtml: `<p>Marker ${tag}</p>`,
    classification: 'OFFICIAL: Sensitive',
    priority: 'priority',
    recipients: [SAMPLE_USER.id],
  });
  await briefingButton(page, title).click();
  await expect(page.getByTestId('briefing-body')).toContainText(`Marker ${tag}`);

  await product.stopServer();
  await app.close();
  ({ app, page } = await launch());
  await expect(page.locator('[role="status"][data-state]')).toHaveAttribute(
    'data-state',
    'offline',
  );
  await briefingButton(page, title).click();
  await expect(page.getByTestId('briefing-body')).toContainText(`Marker ${tag}`);

  await product.startServer();
  await product.unshare(sorId, [SAMPLE_USER.id]);
  await expect(briefingButton(page, title)).toHaveCount(0, { timeout: 60_000 });
  await app.close();
});
