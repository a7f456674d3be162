// The walking-skeleton scenario through the real Electron app, driven by Playwright's Electron
// driver. It runs wherever an Electron binary is installed; where it is not (CI machines that
// cannot download it), it reports itself skipped with the reason, never passed.
import { mkdtempSync, rmSync } from 'node:fs';
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
import { installedElectronBinary } from '../../../scripts/electron-installed.mjs';
import { API_EVENTS, API_VERBS } from '../../../src/shared/ipc.js';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { Product } from '../support/product.js';
import { signInElectron } from '../support/sign-in.js';

const repo = resolve(import.meta.dirname, '../../..');

const binary = installedElectronBinary();

test.skip(
  binary === null,
  process.env['ELECTRON_SKIP_BINARY_DOWNLOAD']
    ? 'Electron binary not installed: ELECTRON_SKIP_BINARY_DOWNLOAD is set; this suite runs wherever `npm ci` downloaded it'
    : 'Electron binary not installed on this machine (`npm ci` could not download it, see its notice); this suite runs wherever it could',
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
    args: [
      join(repo, 'out/main/index.js'),
      `--user-data-dir=${userData}`,
      // Chromium's OS-level sandbox refuses to start as root (CI runs as root). The page's own
      // isolation (sandbox, contextIsolation, no Node) is Electron's and is checked below.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ],
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

/**
 * The hardening the unit tests prove as wiring, checked in the real window: Electron's own view
 * of its web preferences, and what the page can actually do against them.
 */
async function expectHardenedWindow(app: ElectronApplication, page: Page): Promise<void> {
  const prefs = await app.evaluate(({ BrowserWindow }) => {
    // What Electron applied to the renderer. getLastWebPreferences exists at run time but is
    // missing from Electron's published typings, hence the local type.
    const contents = BrowserWindow.getAllWindows()[0]?.webContents as
      { getLastWebPreferences(): Electron.WebPreferences | null } | undefined;
    const last = contents?.getLastWebPreferences();
    return {
      contextIsolation: last?.contextIsolation,
      sandbox: last?.sandbox,
      nodeIntegration: last?.nodeIntegration,
    };
  });
  expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });

  const origin = await page.evaluate(() => location.origin);
  expect(origin).toBe('attache://app');

  // The window-open handler denies: the page gets null and no window appears.
  expect(await page.evaluate(() => window.open('https://example.com/') === null)).toBe(true);
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  expect(app.windows()).toHaveLength(1);

  // will-navigate is refused: the page keeps its origin and its globals (a navigation, even a
  // failed one, would replace the document and drop the marker).
  await page.evaluate(() => {
    (globalThis as { navigationMarker?: string }).navigationMarker = 'still here';
    location.href = 'https://example.com/';
  });
  await page.waitForTimeout(1_000);
  expect(
    await page.evaluate(() => ({
      origin: location.origin,
      marker: (globalThis as { navigationMarker?: string }).navigationMarker,
    })),
  ).toEqual({ origin, marker: 'still here' });

  // The CSP allows no inline script: an injected <script> element never runs.
  const inlineRan = await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'globalThis.inlineScriptRan = true;';
    document.head.append(script);
    script.remove();
    return typeof (globalThis as { inlineScriptRan?: unknown }).inlineScriptRan;
  });
  expect(inlineRan).toBe('undefined');
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
  await expectHardenedWindow(app, page);
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
