// A managed device, end to end in the reader (Chromium through the browser host, or the Electron
// app) against the real server, provider and keychain: the organisation's policy file (the Linux
// reader, pointed at it by ATTACHE_POLICY_FILE through the fixture's `policy` option) locks the
// theme and the reader shows it "set by your organisation", lists the value it could not use
// (setting, source, why) and About names the version and server; a briefing's marking decides
// whether it prints (watermarked with the reader's name and the time) and whether its text
// copies; links open only where policy allows, after a confirmation; a device without a valid
// server address says it is not set up; and the diagnostics zip holds no token, no briefing and
// not the person.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';
import { createKeytarKeychain } from '../../../src/main/secrets/keychain.keytar.js';
import { SECRET_NAMES } from '../../../src/main/secrets/types.js';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { expect, test } from '../support/fixtures.js';
import type { Product } from '../support/product.js';
import type { Reader } from '../support/shells.js';
import { signIn } from '../support/sign-in.js';

/** The version the app reports: the project's own. */
const APP_VERSION = (
  JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as {
    version: string;
  }
).version;

const briefingButton = (page: Page, title: string) =>
  page
    .getByRole('navigation', { name: 'Briefings' })
    .getByRole('button', { name: new RegExp(title) });

async function openNewBriefing(
  page: Page,
  running: Product,
  input: { title: string; bodyHtml: string; classification: string },
): Promise<void> {
  await running.createBriefing({ ...input, priority: 'routine', recipients: [SAMPLE_USER.id] });
  await briefingButton(page, input.title).click();
  await expect(
    page.getByRole('main', { name: 'Briefing' }).getByRole('heading', { level: 1 }),
  ).toHaveText(input.title);
}

/**
 * The system clipboard. The Electron window is granted no permission at all (hardenSession), so
 * there the app's main process reads and writes it; in Chromium the page does, once granted.
 */
function clipboard(reader: Reader) {
  const app = reader.electronApp;
  return {
    write: (text: string): Promise<void> =>
      app
        ? app.evaluate(({ clipboard: board }, value) => board.writeText(value), text)
        : reader.page.evaluate((value) => navigator.clipboard.writeText(value), text),
    read: (): Promise<string> =>
      app
        ? app.evaluate(({ clipboard: board }) => board.readText())
        : reader.page.evaluate(() => navigator.clipboard.readText()),
  };
}

/**
 * The bytes of the file the reader saves when `save` runs: the browser's download in Chromium;
 * in Electron the save dialog is answered with a path in a temporary folder.
 */
async function savedFile(reader: Reader, save: () => Promise<void>): Promise<Uint8Array> {
  const app = reader.electronApp;
  if (!app) {
    const download = reader.page.waitForEvent('download');
    await save();
    return new Uint8Array(await readFile(await (await download).path()));
  }
  const folder = mkdtempSync(join(tmpdir(), 'attache-download-'));
  try {
    const target = join(folder, 'download');
    await app.evaluate(({ session }, path) => {
      const slot = globalThis as { attacheDownload?: string };
      slot.attacheDownload = 'started';
      session.defaultSession.once('will-download', (_event, item) => {
        item.setSavePath(path);
        item.once('done', (_done, state) => {
          slot.attacheDownload = state;
        });
      });
    }, target);
    await save();
    await expect
      .poll(() => app.evaluate(() => (globalThis as { attacheDownload?: string }).attacheDownload))
      .toBe('completed');
    return new Uint8Array(await readFile(target));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

test.describe('with the theme and printing set by the organisation', () => {
  // LogLevel's value is not one the app knows: ignored, and said so.
  test.use({
    productOptions: {
      policy: { Theme: 'dark', PrintBlockedFrom: 'PROTECTED', LogLevel: 'chatty' },
    },
  });

  test('a policy file locks the theme: the reader shows it locked, set by your organisation, and lists the value it could not use', async ({
    product: running,
    reader,
  }) => {
    let page = await reader.open();
    await signIn(reader);
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    // The header's theme switch cannot change it either.
    const themeButton = page.getByRole('button', { name: 'Dark theme' });
    await expect(themeButton).toHaveAttribute('aria-disabled', 'true');
    await themeButton.dispatchEvent('click');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');

    await page.getByRole('button', { name: 'Settings' }).click();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    const theme = settings.getByTestId('setting-theme');
    await expect(theme.getByLabel('Theme')).toBeDisabled();
    await expect(theme.getByLabel('Theme')).toHaveValue('dark');
    await expect(theme).toContainText('Set by your organisation');
    // What the person may change, they change: the text size, remembered by the device.
    const textSize = settings.getByTestId('setting-textSize');
    await expect(textSize).not.toContainText('Set by your organisation');
    await textSize.getByLabel('Text size').selectOption('large');
    await expect(page.locator('html')).toHaveAttribute('data-text-size', 'large');
    // The policy for each marking, in words.
    const policy = settings.getByTestId('marking-policy');
    await expect(policy.getByRole('row', { name: /PROTECTED/ }).first()).toContainText(
      'May not be printed.',
    );
    await expect(policy.getByRole('row', { name: /^OFFICIAL May/ })).toContainText(
      'May be printed, with your name and the time on every page.',
    );
    // The value the organisation set that could not be used: which setting, from where, why.
    const problems = settings.getByTestId('settings-problems');
    await expect(problems.getByRole('listitem')).toHaveText([
      `LogLevel from ${running.policyFile ?? ''} must be one of: debug, info, warn, error; the default applies.`,
    ]);
    await expect(problems.getByRole('listitem').locator('strong')).toHaveText('LogLevel');
    await expect(problems.getByRole('listitem').locator('code')).toHaveText(
      running.policyFile ?? '',
    );
    await page.screenshot({ path: test.info().outputPath('settings-locked-theme.png') });
    await settings.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'About Attaché' }).click();
    const about = page.getByRole('dialog', { name: 'About Attaché' });
    const fact = (term: string) =>
      about
        .locator('.about-dialog__facts > div')
        .filter({ has: page.locator('dt', { hasText: new RegExp(`^${term}$`) }) })
        .locator('dd');
    await expect(fact('Version')).toHaveText(APP_VERSION);
    await expect(fact('Server')).toHaveText(running.deviceBrokerUrl);
    await expect(about.getByTestId('device-id')).toHaveText(running.deviceId());
    const origins = about.getByTestId('setting-origins');
    await expect(origins.getByRole('row', { name: /^Theme/ })).toContainText(
      `Your organisation (${running.policyFile ?? ''}`,
    );
    await expect(origins.getByRole('row', { name: /^Text size/ })).toContainText('You');
    await expect(origins.getByRole('row', { name: /^Attaché server/ })).toContainText(
      'Development (environment ATTACHE_BROKER_URL)',
    );
    await page.screenshot({ path: test.info().outputPath('about-origins.png') });

    // After a restart, the person's choice is still there and the theme still locked.
    page = await reader.restart();
    await expect(page.locator('html')).toHaveAttribute('data-text-size', 'large');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  });
});

test.describe('with the default policy', () => {
  test.use({ productOptions: { policy: {} } });

  test('a SECRET briefing neither copies nor prints; an OFFICIAL one does, with banners and watermark', async ({
    product: running,
    reader,
    context,
  }) => {
    if (reader.shell === 'chromium') {
      await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    }
    const page = await reader.open();
    await signIn(reader);
    const board = clipboard(reader);
    const tag = randomUUID().slice(0, 8);
    const body = page.getByTestId('briefing-body');

    await openNewBriefing(page, running, {
      title: `Secret ${tag}`,
      bodyHtml: `<p>Secret words ${tag}</p>`,
      classification: 'SECRET',
    });
    await board.write('before');
    await body.selectText();
    await page.keyboard.press('ControlOrMeta+C');
    await expect(page.getByTestId('policy-notice')).toContainText(
      'does not allow text to be copied from SECRET briefings',
    );
    expect(await board.read()).not.toContain(tag);
    await expect(page.getByRole('button', { name: 'Print' })).toHaveCount(0);
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    await expect(page.getByTestId('policy-notice')).toContainText(
      'does not allow SECRET briefings to be printed',
    );
    await page.emulateMedia({ media: 'print' });
    await expect(page.getByTestId('briefing-body')).toBeHidden();
    expect(await page.evaluate(() => getComputedStyle(document.body, '::after').content)).toContain(
      'Printing is not allowed',
    );
    await page.emulateMedia({ media: 'screen' });

    await openNewBriefing(page, running, {
      title: `Official ${tag}`,
      bodyHtml: `<p>Official words ${tag}</p>`,
      classification: 'OFFICIAL',
    });
    await body.selectText();
    await page.keyboard.press('ControlOrMeta+C');
    await expect.poll(() => board.read()).toContain(`Official words ${tag}`);
    await expect(page.getByRole('button', { name: 'Print' })).toBeVisible();
    await page.emulateMedia({ media: 'print' });
    await expect(page.getByTestId('briefing-body')).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Briefings' })).toBeHidden();
    await expect(page.getByTestId('classification-banner-top')).toHaveCSS('position', 'fixed');
    await expect(page.getByTestId('classification-banner-bottom')).toHaveCSS('position', 'fixed');
    await expect(page.getByTestId('watermark')).toHaveCSS('position', 'fixed');
    // The reader's name and the time now, as the reader writes a date and time (formatDateTime:
    // medium date, short time, in the page's locale and zone), give or take a couple of minutes.
    const watermark =
      (await page.getByTestId('watermark').getAttribute('data-watermark-text')) ?? '';
    const [name, shownTime] = watermark.split(' · ');
    expect(name).toBe(SAMPLE_USER.displayName);
    const timesNow = await page.evaluate(() => {
      const format = new Intl.DateTimeFormat(undefined, {
        dateStyle: 'medium',
        timeStyle: 'short',
      });
      const now = Date.now();
      return [-2, -1, 0, 1].map((minutes) => format.format(now + minutes * 60_000));
    });
    expect(timesNow, `watermark "${watermark}"`).toContain(shownTime);
    await page.screenshot({ path: test.info().outputPath('print-official.png') });
  });

  test('the diagnostics zip holds no token, no briefing and not the person', async ({
    product: running,
    reader,
  }) => {
    const page = await reader.open();
    await signIn(reader);
    const canary = `Canary ${randomUUID()}`;
    await openNewBriefing(page, running, {
      title: `${canary} title`,
      bodyHtml: `<p>${canary} body</p>`,
      classification: 'PROTECTED',
    });
    await expect(page.locator('[role="status"][data-state]')).toHaveAttribute(
      'data-state',
      'up-to-date',
    );

    await page.getByRole('button', { name: 'Settings' }).click();
    const zip = await savedFile(reader, () =>
      page.getByRole('button', { name: 'Export diagnostics' }).click(),
    );
    const entries = unzipSync(zip);
    const names = Object.keys(entries).sort();
    expect(names).toEqual(
      expect.arrayContaining(['about.json', 'configuration.json', 'sync-state.json']),
    );
    expect(names.some((name) => name.startsWith('logs/') && name.endsWith('.log'))).toBe(true);
    const text = names.map((name) => strFromU8(entries[name]!)).join('\n');
    // It is useful: the device, its settings and its state.
    expect(text).toContain(running.deviceId());
    expect(text).toContain('ClassificationCeiling');
    expect(text).toContain('"state": "up-to-date"');
    expect(text).toContain('signed in');

    const cache = JSON.parse(
      (await createKeytarKeychain({ service: running.keychainService }).get(
        SECRET_NAMES.msalTokenCache,
      )) ?? '{}',
    ) as Record<string, Record<string, { secret?: string }>>;
    const tokens = Object.values(cache).flatMap((section) =>
      Object.values(section).flatMap((entry) =>
        typeof entry.secret === 'string' ? [entry.secret] : [],
      ),
    );
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    for (const token of tokens) expect(text).not.toContain(token);
    expect(text).not.toContain(canary);
    expect(text).not.toContain(SAMPLE_USER.displayName);
    expect(text).not.toContain(SAMPLE_USER.id);
  });
});

test.describe('with links allowed to the intranet', () => {
  test.use({
    productOptions: { policy: { AllowedLinkTargets: ['https://intranet.example.gov.au/'] } },
  });

  test('links open after a confirmation where policy allows, and say why not elsewhere', async ({
    product: running,
    reader,
    context,
  }) => {
    // The intranet is not on this machine: the system browser gets a stand-in page for it.
    await context.route('https://intranet.example.gov.au/**', (route) =>
      route.fulfill({ body: '<title>Intranet</title>intranet', contentType: 'text/html' }),
    );
    const page = await reader.open();
    await signIn(reader);
    const tag = randomUUID().slice(0, 8);
    await openNewBriefing(page, running, {
      title: `Links ${tag}`,
      bodyHtml: `<p>See <a href="https://intranet.example.gov.au/policies/travel">the travel policy</a> and <a href="https://elsewhere.example.com/">the other site</a>.</p>`,
      classification: 'OFFICIAL',
    });
    // Beside each link, in words, whether the organisation lets it open.
    await expect(page.getByTestId('briefing-body')).toHaveText(
      'See the travel policy (opens in your browser after you confirm: https://intranet.example.gov.au/policies/travel) and the other site (link not opened in Attaché: https://elsewhere.example.com/).',
    );
    const pagesBefore = await reader.providerPagesOpened();

    await page.getByRole('link', { name: 'the other site' }).click();
    const dialog = page.getByTestId('link-dialog');
    await expect(dialog.getByRole('heading')).toHaveText('This link was not opened');
    await expect(dialog.getByTestId('link-reason')).toHaveText(
      'Your organisation does not allow Attaché to open links to elsewhere.example.com.',
    );
    await dialog.getByRole('button', { name: 'OK' }).click();

    await page.getByRole('link', { name: 'the travel policy' }).click();
    await expect(dialog.getByRole('heading')).toHaveText('Open this link in your browser?');
    await expect(dialog.getByTestId('link-address')).toHaveText(
      'https://intranet.example.gov.au/policies/travel',
    );
    // Nothing reached the system browser before the confirmation.
    expect(await reader.providerPagesOpened()).toBe(pagesBefore);
    await dialog.getByRole('button', { name: 'Open in browser' }).click();
    const opened = await reader.nextSystemBrowserPage();
    await expect(opened).toHaveURL('https://intranet.example.gov.au/policies/travel');
    expect(await reader.providerPagesOpened()).toBe(pagesBefore + 1);
    // The reader itself stayed where it was.
    await expect(page.getByTestId('briefing-body')).toContainText('the travel policy');
  });
});

test.describe('with a server address that is not allowed', () => {
  test.use({ productOptions: { policy: { ServerUrl: 'http://broker.example.org' } } });

  test('without a valid server address the reader says it is not set up, naming the setting', async ({
    reader,
  }) => {
    const page = await reader.open();
    const screen = page.getByTestId('not-set-up');
    await expect(screen.getByRole('heading')).toHaveText('Attaché is not set up on this device');
    await expect(screen).toContainText('Contact IT support');
    await expect(screen.getByTestId('not-set-up-setting')).toHaveText('ServerUrl');
    await expect(screen).toContainText('must be https unless the broker runs on this machine');
    await page.screenshot({ path: test.info().outputPath('not-set-up.png') });
  });
});
