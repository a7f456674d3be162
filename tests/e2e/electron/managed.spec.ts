// What only the desktop app enforces, in the real Electron window: screen capture is blocked
// while a briefing whose marking the policy protects is on screen, and allowed again after; an
// allowed link reaches the operating system (shell.openExternal) only after the confirmation and
// only in its parsed form. (The rest of managed configuration runs in both shells:
// tests/e2e/reader/managed.spec.ts.) Where the Electron binary is absent, the fixture reports
// these tests skipped with the reason.
import { randomUUID } from 'node:crypto';
import type { ElectronApplication, Page } from '@playwright/test';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { expect, test } from '../support/fixtures.js';
import type { Product } from '../support/product.js';
import { signIn } from '../support/sign-in.js';

function electronApp(app: ElectronApplication | null): ElectronApplication {
  if (!app) throw new Error('this spec runs in the electron project only');
  return app;
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

test.use({
  productOptions: {
    policy: {
      ScreenCaptureBlockedFrom: 'PROTECTED',
      AllowedLinkTargets: ['https://intranet.example.gov.au/'],
    },
  },
});

test('screen capture follows the briefing on screen, and an allowed link goes to the system browser', async ({
  product,
  reader,
}) => {
  const page = await reader.open();
  const app = electronApp(reader.electronApp);
  await signIn(reader);
  const tag = randomUUID().slice(0, 8);
  await open(page, product, `Protected ${tag}`, 'PROTECTED');
  await expect.poll(() => isProtected(app)).toBe(true);
  await open(
    page,
    product,
    `Official ${tag}`,
    'OFFICIAL',
    '<p><a href="https://INTRANET.example.gov.au/travel">travel policy</a></p>',
  );
  await expect.poll(() => isProtected(app)).toBe(false);

  // What reaches shell.openExternal from here on (the fixture's stand-in for the OS).
  await app.evaluate(({ shell }) => {
    const slot = globalThis as { openedLinks?: string[] };
    slot.openedLinks = [];
    shell.openExternal = (url: string) => {
      slot.openedLinks?.push(url);
      return Promise.resolve();
    };
  });
  const opened = () => app.evaluate(() => (globalThis as { openedLinks?: string[] }).openedLinks);
  await page.getByRole('link', { name: 'travel policy' }).click();
  await expect(page.getByTestId('link-dialog')).toBeVisible();
  expect(await opened()).toEqual([]);
  await page.getByTestId('link-dialog').getByRole('button', { name: 'Open in browser' }).click();
  await expect.poll(opened).toEqual(['https://intranet.example.gov.au/travel']);
});
