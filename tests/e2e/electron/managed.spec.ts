// What only the desktop app enforces, in the real Electron window: screen capture is blocked
// while a briefing whose marking the policy protects is on screen and allowed again after, an
// allowed link goes to the system browser (shell.openExternal) only after the confirmation, and
// the not-set-up screen. It runs wherever an Electron binary is installed; where it is not, it
// reports itself skipped with the reason, never passed.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { Product } from '../support/product.js';
import { signInElectron } from '../support/sign-in.js';

const repo = resolve(import.meta.dirname, '../../..');

function electronBinary(): string | null {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}
const binary = electronBinary();

test.skip(
  binary === null,
  'Electron binary not installed on this machine (`npm ci` could not download it, see its notice); this suite runs wherever it could',
);

let product: Product | null = null;
let folder: string;

test.beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'attache-electron-managed-'));
});
test.afterEach(async () => {
  await product?.stop();
  product = null;
  rmSync(folder, { recursive: true, force: true });
});

async function launch(policy: Record<string, unknown>, running: Product | null) {
  const policyFile = join(folder, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(policy));
  const app = await electron.launch({
    executablePath: binary ?? undefined,
    args: [
      join(repo, 'out/main/index.js'),
      `--user-data-dir=${join(folder, 'user-data')}`,
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ],
    env: {
      ...process.env,
      ATTACHE_POLICY_FILE: policyFile,
      ...(running
        ? {
            ATTACHE_BROKER_URL: `http://127.0.0.1:${running.ports.broker}`,
            ATTACHE_AUTHORITY: running.authority,
            ATTACHE_TLS_CA_FILE: running.caFile,
          }
        : {}),
    },
  });
  return { app, page: await app.firstWindow() };
}

const isProtected = (app: ElectronApplication) =>
  app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.isContentProtected());

async function open(
  page: Page,
  running: Product,
  title: string,
  classification: string,
  bodyHtml = '<p>x</p>',
) {
  await running.createBriefing({
    title,
    bodyHtml,
    classification,
    priority: 'routine',
    recipients: [SAMPLE_USER.id],
  });
  await page
    .getByRole('navigation', { name: 'Briefings' })
    .getByRole('button', { name: new RegExp(title) })
    .click();
  await expect(
    page.getByRole('main', { name: 'Briefing' }).getByRole('heading', { level: 1 }),
  ).toHaveText(title);
}

test('screen capture follows the briefing on screen, and an allowed link goes to the system browser', async () => {
  product = await Product.start();
  await product.stopHost();
  const { app, page } = await launch(
    {
      ScreenCaptureBlockedFrom: 'PROTECTED',
      AllowedLinkTargets: ['https://intranet.example.gov.au/'],
    },
    product,
  );
  try {
    await signInElectron(app, page);
    const tag = randomUUID().slice(0, 8);
    await open(page, product, `Protected ${tag}`, 'PROTECTED');
    await expect.poll(() => isProtected(app)).toBe(true);
    await open(
      page,
      product,
      `Official ${tag}`,
      'OFFICIAL',
      '<p><a href="https://intranet.example.gov.au/travel">travel policy</a></p>',
    );
    await expect.poll(() => isProtected(app)).toBe(false);

    await app.evaluate(({ shell }) => {
      const slot = globalThis as { openedLinks?: string[] };
      slot.openedLinks = [];
      shell.openExternal = (url: string) => {
        slot.openedLinks?.push(url);
        return Promise.resolve();
      };
    });
    await page.getByRole('link', { name: 'travel policy' }).click();
    const opened = () => app.evaluate(() => (globalThis as { openedLinks?: string[] }).openedLinks);
    expect(await opened()).toEqual([]);
    await page.getByTestId('link-dialog').getByRole('button', { name: 'Open in browser' }).click();
    await expect.poll(opened).toEqual(['https://intranet.example.gov.au/travel']);
  } finally {
    await app.close();
  }
});

test('a device without a valid server address says it is not set up', async () => {
  const { app, page } = await launch({ ServerUrl: 'http://broker.example.org' }, null);
  try {
    await expect(page.getByTestId('not-set-up')).toContainText(
      'Attaché is not set up on this device',
    );
    await expect(page.getByTestId('not-set-up-setting')).toHaveText('ServerUrl');
  } finally {
    await app.close();
  }
});
