// Browser-host only (the reader's pages at any window size, which an Electron window with its
// minimum width cannot take). Accessibility of the reader in real Chromium against the real product, beyond the screens the
// sign-in spec checks: axe-core (WCAG 2.2 A and AA) in the light and dark themes, with the
// About dialog, the user menu and the PDF viewer open, in a narrow window; and reflow at 400%
// (WCAG 1.4.10: a 1280 x 1024 window zoomed to 400% is 320 x 256 CSS px): no sideways
// scrolling, every control on screen and not covered by anything. Screenshots of each screen go
// into the test's output folder.
import type { Page } from '@playwright/test';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { expectAccessible as expectAxeClean } from '../support/axe.js';
import { expect, test } from '../support/fixtures.js';
import { Product } from '../support/product.js';
import { chromiumReader } from '../support/shells.js';
import { signIn } from '../support/sign-in.js';

let product: Product;

test.use({ ignoreHTTPSErrors: true });

// One product and one sign-in for the whole file: the host stays signed in, each test opens its
// own page at the reader's address.
test.beforeAll(async ({ browser }) => {
  product = await Product.start();
  const page = await browser.newPage({ ignoreHTTPSErrors: true });
  await page.goto(product.readerUrl);
  const done = await signIn(chromiumReader(product, page), SAMPLE_USER.id);
  await expect(page.getByTestId('briefing-counts')).toContainText('24');
  // The page the sign-in ends on: the reader's typeface (carried inside it), heading on one line.
  const heading = done.getByRole('heading', { name: 'You’re signed in to Attaché' });
  expect(await done.evaluate(() => document.fonts.check('700 24px "Inter Variable"'))).toBe(true);
  const lines = await heading.evaluate(
    (h) => h.getBoundingClientRect().height / parseFloat(getComputedStyle(h).lineHeight),
  );
  expect(Math.round(lines)).toBe(1);
  await done.screenshot({ path: test.info().outputPath('signed-in-page.png') });
  await page.close();
});

test.afterAll(async () => {
  await product?.stop();
});

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) {
    await testInfo.attach('product-logs', { body: product.logs(), contentType: 'text/plain' });
  }
});

/** axe clean (support/axe.ts), with a screenshot of what was checked in the test's output. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  await expectAxeClean(page, what);
  await page.screenshot({ path: test.info().outputPath(`${what.replace(/\W+/g, '-')}.png`) });
}

const briefing = (page: Page, title: RegExp) =>
  page.getByRole('navigation', { name: 'Briefings' }).getByRole('button', { name: title });

async function openReader(page: Page, size = { width: 1440, height: 900 }): Promise<void> {
  await page.setViewportSize(size);
  await page.goto(product.readerUrl);
  await expect(page.getByTestId('briefing-counts')).toContainText(/^\d+ briefings/);
}

test('the list, a briefing with a chart, About and the user menu, in the light and dark themes', async ({
  page,
}) => {
  await openReader(page);
  for (const theme of ['light', 'dark'] as const) {
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    if ((await toggle.getAttribute('aria-pressed')) !== String(theme === 'dark')) {
      await toggle.click();
    }
    await expect(toggle).toHaveAttribute('aria-pressed', String(theme === 'dark'));
    await briefing(page, /^Bushfire season outlook/).click();
    const chart = page.getByRole('img', { name: /^Bar chart, Firefighting aircraft/ });
    await chart.scrollIntoViewIfNeeded();
    // The chart names itself and says its values in words (its PNG carries both).
    await expect(chart).toHaveAttribute('alt', /2024–25: 161\.$/);
    await expect(page.locator('figcaption')).toContainText(
      'Firefighting aircraft contracted, by season',
    );
    await expectAccessible(page, `briefing with chart, ${theme}`);

    await page.getByRole('button', { name: 'About Attaché' }).click();
    await expect(page.getByRole('dialog', { name: 'About Attaché' })).toBeVisible();
    await expectAccessible(page, `about, ${theme}`);
    await page.keyboard.press('Escape');

    await page.getByTestId('signed-in-user').click();
    await expect(page.getByRole('button', { name: 'Sign out…' })).toBeVisible();
    await expectAccessible(page, `user menu, ${theme}`);
    await page.keyboard.press('Escape');
  }
});

test('the PDF viewer, and its zoom only once the document is on screen', async ({ page }) => {
  await openReader(page);
  await briefing(page, /^Question Time brief/).click();
  // The brief's promised lines are attached.
  await page.getByRole('button', { name: 'Open question-time-lines.pdf' }).click();
  const viewer = page.getByRole('dialog', { name: /question-time-lines\.pdf/ });
  await expect(viewer.getByRole('group', { name: 'Page 1 of 1' })).toHaveAttribute(
    'data-rendered',
    'true',
  );
  await expect(viewer.getByRole('button', { name: 'Zoom in' })).toBeEnabled();
  await expect(viewer).toContainText('If asked about electricity prices');
  await expectAccessible(page, 'pdf viewer');
  await viewer.getByRole('button', { name: 'Close' }).click();
});

test('in a narrow window the user button keeps its name, and the page stays accessible', async ({
  page,
}) => {
  for (const width of [960, 720]) {
    await openReader(page, { width, height: 800 });
    const user = page.getByTestId('signed-in-user');
    // The name is out of sight, not out of the accessibility tree.
    await expect(user).toHaveAccessibleName(/Signed in as Alex Morgan/);
    await expect(page.getByRole('status').filter({ hasText: 'Up to date' })).toBeVisible();
    await briefing(page, /^Cabinet submission/).click();
    await expectAccessible(page, `narrow ${width}`);
  }
});

/**
 * Reflow: nothing wider than the window, and each visible control inside it horizontally and
 * the topmost thing at its centre (not clipped, not covered). With `scroll`, each is scrolled to
 * first; the windowed list is checked as it stands (scrolling it swaps its rows).
 */
async function expectReflow(page: Page, scope: string, what: string, scroll = true): Promise<void> {
  const sideways = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    text: [...document.querySelectorAll<HTMLElement>('.document__scroll, .briefing-body')]
      .map((el) => el.scrollWidth - el.clientWidth)
      .reduce((a, b) => Math.max(a, b), 0),
  }));
  expect(sideways, `${what}: sideways scrolling`).toEqual({ page: 0, text: 0 });
  const problems = await page.evaluate(
    ({ scope, scroll }) => {
      const found: string[] = [];
      const root = document.querySelector(scope) ?? document.body;
      // The skip link waits above the page until it has focus, by design.
      const controls = [
        ...root.querySelectorAll<HTMLElement>('button, a[href]:not(.skip-link), [role="status"]'),
      ].filter((el) => el.checkVisibility());
      for (const el of controls) {
        if (scroll) el.scrollIntoView({ block: 'center', inline: 'nearest' });
        const box = el.getBoundingClientRect();
        const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40);
        if (box.width === 0 || box.height === 0) continue;
        if (box.bottom <= 0 || box.top >= window.innerHeight) continue; // not on screen now
        // Scrolled out of its own scrolling box (the list's rows): not on screen either.
        const frame = el.parentElement?.closest('.briefing-list__viewport, .pdf-viewer__pages');
        const middle = box.top + box.height / 2;
        if (frame) {
          const visible = frame.getBoundingClientRect();
          if (middle < visible.top || middle > visible.bottom) continue;
        }
        if (box.left < -0.5 || box.right > window.innerWidth + 0.5) {
          found.push(`${name}: off-screen`);
          continue;
        }
        const y = Math.min(Math.max(box.top + box.height / 2, 1), window.innerHeight - 1);
        const top = document.elementFromPoint(box.left + box.width / 2, y);
        if (!(top && (el === top || el.contains(top) || top.contains(el)))) {
          found.push(`${name}: covered by ${top?.className || top?.tagName}`);
        }
        // Text spilling out of its own box (a pill's label over the buttons beside it).
        const clipped = (node: Element): boolean => {
          // Visually hidden (for assistive technology only): clipped to nothing, not spilling.
          for (let at: Element | null = node; at && at !== el; at = at.parentElement) {
            if (getComputedStyle(at).clipPath !== 'none') return true;
          }
          return false;
        };
        for (const child of el.querySelectorAll<HTMLElement>('*')) {
          if (clipped(child)) continue;
          const inner = child.getBoundingClientRect();
          if (inner.width > 0 && (inner.left < box.left - 1 || inner.right > box.right + 1)) {
            found.push(`${name}: "${(child.textContent ?? '').slice(0, 20)}" spills out`);
            break;
          }
        }
      }
      return found;
    },
    { scope, scroll },
  );
  expect(problems, what).toEqual([]);
  await page.screenshot({ path: test.info().outputPath(`reflow ${what}.png`), fullPage: true });
}

test('at 400% zoom (320 x 256 CSS px) nothing scrolls sideways and every control can be reached', async ({
  page,
}) => {
  await openReader(page, { width: 320, height: 256 });
  await expectReflow(page, 'body', 'list');
  // Scrolled down the list, the rows under the day heading can still be clicked.
  const viewport = page.locator('.briefing-list__viewport');
  await viewport.evaluate((el) => el.scrollBy(0, 400));
  await expectReflow(page, 'nav', 'list scrolled', false);

  await briefing(page, /^Question Time brief/).click();
  const reader = page.getByRole('main', { name: 'Briefing' });
  await expect(reader.getByRole('heading', { level: 1 })).toContainText('Question Time brief');
  // One pane at a time: the briefing, in the page's flow between its banners.
  await expect(page.getByRole('navigation', { name: 'Briefings' })).toBeHidden();
  const banners = await page
    .locator('.document .classification-banner')
    .evaluateAll((els) => els.map((el) => el.getBoundingClientRect().top + window.scrollY));
  expect((banners[1] ?? 0) - (banners[0] ?? 0)).toBeGreaterThan(1_000);
  await expectReflow(page, 'body', 'briefing');
  await expectAccessible(page, 'reflow briefing');

  await page.getByRole('button', { name: 'Open question-time-lines.pdf' }).click();
  const viewer = page.getByRole('dialog', { name: /question-time-lines\.pdf/ });
  await expect(viewer.getByRole('group', { name: 'Page 1 of 1' })).toHaveAttribute(
    'data-rendered',
    'true',
  );
  await expect(viewer.getByRole('heading', { name: 'question-time-lines.pdf' })).toBeVisible();
  await expectReflow(page, 'dialog.pdf-viewer', 'pdf viewer');
  await viewer.getByRole('button', { name: 'Close' }).click();

  // And back to the list.
  await reader.getByRole('button', { name: 'Briefings', exact: true }).click();
  await expect(briefing(page, /^Question Time brief/)).toBeVisible();
});

test('briefing content: a link says its address in words, initials are letters only', async ({
  page,
}) => {
  const tag = Date.now().toString(36);
  await product.sor('POST', '/briefings', {
    title: `Links and names ${tag}`,
    bodyHtml: '<p>See <a href="https://example.gov/report">the review</a> for the detail.</p>',
    classification: 'OFFICIAL',
    priority: 'routine',
    recipients: [SAMPLE_USER.id],
    // A hostile sender name: the avatar shows letters only.
    sender: { name: '<Odd> "Sender"', role: 'Tester' },
  });
  await openReader(page);
  await expect(page.getByTestId('briefing-counts')).toContainText('25 briefings');
  await briefing(page, new RegExp(`^Links and names ${tag}`)).click();
  const body = page.getByTestId('briefing-body');
  await expect(body).toContainText(
    'See the review (link not opened in Attaché: https://example.gov/report) for the detail.',
  );
  await expect(page.locator('.document__byline .avatar')).toHaveText('OS');
  await expectAccessible(page, 'inert link');
});

test('a briefing without text from another SOR says so instead of showing nothing', async ({
  page,
}) => {
  // The demo SOR's admin API refuses an empty body; a record stored as another SOR would send
  // it (unvalidated) still goes through the fan-out to the reader.
  const tag = Date.now().toString(36);
  const now = new Date().toISOString();
  await product.sor('POST', '/records', {
    content: {
      title: `Cover note only ${tag}`,
      summary: '',
      bodyHtml: '<p> </p>',
      classification: 'OFFICIAL',
      priority: 'routine',
      sender: { name: 'Records Unit', role: '' },
      createdAt: now,
      updatedAt: now,
    },
    recipients: [SAMPLE_USER.id],
  });
  await openReader(page);
  await briefing(page, new RegExp(`^Cover note only ${tag}`)).click();
  await expect(page.getByTestId('briefing-no-text')).toHaveText(
    'This briefing has no text of its own.',
  );
});

test('a tab opened without the reader’s key says where its address is', async ({ page }) => {
  await page.goto(new URL(product.readerUrl).origin);
  await expect(
    page.getByRole('heading', { name: 'Open Attaché from the address in its terminal' }),
  ).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('“Reader (open in a browser)”');
  await expectAccessible(page, 'no key');
});
