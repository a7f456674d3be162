// Search end to end, in the reader (Chromium through the browser host, or the Electron app)
// against the real processes: a briefing shared through the SOR is found as the reader types,
// opens at its first match with the matches marked in the text and on the PDF's page, hostile
// text in it stays text in the snippet, search works offline after a restart, and an unshared
// briefing stops being found. In Chromium, axe-core checks the results in both themes and
// screenshots go to the test's output folder.
import { randomUUID } from 'node:crypto';
import type { Page } from '@playwright/test';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { expectAccessible } from '../support/axe.js';
import { expect, test } from '../support/fixtures.js';
import { pdfWithText } from '../support/pdf.js';
import type { Reader } from '../support/shells.js';
import { signIn } from '../support/sign-in.js';

const syncStatus = (page: Page) => page.locator('[role="status"][data-state]');
const field = (page: Page) => page.getByRole('combobox', { name: 'Search briefings' });
const results = (page: Page) => page.getByRole('listbox', { name: 'Search results' });
const count = (page: Page) => page.getByTestId('search-count');

/** The reader signed in and up to date, and a tag that makes the test's own words unique. */
async function signedIn(reader: Reader): Promise<{ page: Page; tag: string }> {
  const page = await reader.open();
  await signIn(reader);
  await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date');
  return { page, tag: randomUUID().slice(0, 8) };
}

/** How many ranges the search's highlight paints in the page (CSS Custom Highlight API). */
const painted = (page: Page) => page.evaluate(() => CSS.highlights.get('search-match')?.size ?? 0);

test('typing finds a briefing; Enter opens it at its matches, marked in the text and on the PDF page', async ({
  product,
  reader,
  shell,
}) => {
  // A sign-in, axe-core twice and a PDF: more than one default test's time on a busy machine.
  test.slow();
  const { page, tag } = await signedIn(reader);
  await expect(page.getByTestId('briefing-counts')).toContainText('24');

  const word = `zircon${tag}`;
  const pdfWord = `tantalum${tag}`;
  const title = `Critical minerals outlook ${tag}`;
  const filler = Array.from({ length: 40 }, (_, i) => `<p>Background paragraph ${i}.</p>`);
  await product.createBriefing({
    title,
    summary: 'Supply of the minerals the energy transition needs.',
    bodyHtml: [
      ...filler,
      `<p>Exports of ${word} fell by a third.</p>`,
      // Hostile text: in the snippet it must stay text, never become an element.
      `<p>Quoted: &lt;img src=x onerror="window.__pwned=1"&gt; ${word} &lt;/mark&gt;&lt;b&gt;bold&lt;/b&gt;</p>`,
    ].join(''),
    classification: 'PROTECTED',
    priority: 'priority',
    recipients: [SAMPLE_USER.id],
    attachments: [
      {
        name: 'Annex B.pdf',
        contentType: 'application/pdf',
        dataBase64: await pdfWithText(`Reserves of ${pdfWord} by region`),
      },
    ],
  });
  await expect(
    page.getByRole('navigation', { name: 'Briefings' }).getByRole('button', { name: title }),
  ).toBeVisible();

  // Ctrl+K goes to the field; results come while typing, before the word is finished.
  await page.getByTestId('briefing-counts').click();
  await page.keyboard.press('Control+k');
  await expect(field(page)).toBeFocused();
  await page.keyboard.type(word.slice(0, -2));
  const hit = results(page).getByRole('option', { name: new RegExp(tag) });
  await expect(hit).toBeVisible();
  await expect(count(page)).toHaveText('1 briefing matches');
  await expect(hit).toHaveAttribute('aria-selected', 'true');
  await expect(field(page)).toHaveAttribute(
    'aria-activedescendant',
    (await hit.getAttribute('id'))!,
  );
  // The snippet marks the match and shows the hostile markup as the text it is.
  const snippet = hit.getByTestId('search-snippet');
  await expect(snippet.locator('mark').first()).toHaveText(word);
  await expect(snippet).toContainText('<img src=x onerror=');
  await expect(results(page).locator('img, b')).toHaveCount(0);

  if (shell === 'chromium') {
    for (const theme of ['light', 'dark'] as const) {
      const toggle = page.getByRole('button', { name: 'Dark theme' });
      if ((await toggle.getAttribute('aria-pressed')) !== String(theme === 'dark')) {
        await toggle.click();
      }
      await field(page).focus();
      await expectAccessible(page, `search results, ${theme}`);
      await page.screenshot({ path: test.info().outputPath(`search-results-${theme}.png`) });
      // The filters panel open, one filter set: a chip says it in words.
      const filters = page.getByRole('button', { name: /^Filters/ });
      await filters.click();
      await page.getByLabel('Unread only').check();
      await expect(page.getByRole('button', { name: 'Remove filter: Unread' })).toBeVisible();
      await expectAccessible(page, `search filters, ${theme}`);
      await page.screenshot({ path: test.info().outputPath(`search-filters-${theme}.png`) });
      await page.getByRole('button', { name: 'Remove filter: Unread' }).click();
      await filters.click();
    }
  }

  // Enter opens it, scrolled to the first match in its text, every match marked.
  await field(page).focus();
  await page.keyboard.press('Enter');
  const briefing = page.getByRole('main', { name: 'Briefing' });
  await expect(briefing.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(page.locator('.document__scroll')).toHaveAttribute('data-search-matches', '2');
  expect(await painted(page)).toBe(2);
  await expect(briefing.getByText(`Exports of ${word} fell`)).toBeInViewport();
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  // A legend says what the marks are (they must not pass for the reader's own highlights), and
  // is a status a screen reader announces.
  const legend = briefing.getByRole('status').filter({ hasText: 'of your search are marked' });
  await expect(legend).toHaveText(/2 matches of your search are marked/);
  if (shell === 'chromium') {
    for (const theme of ['dark', 'light'] as const) {
      const toggle = page.getByRole('button', { name: 'Dark theme' });
      if ((await toggle.getAttribute('aria-pressed')) !== String(theme === 'dark')) {
        await toggle.click();
      }
      await expectAccessible(page, `briefing opened from search, ${theme}`);
      await page.screenshot({
        path: test.info().outputPath(`briefing-opened-from-search-${theme}.png`),
      });
    }
  }

  // A word of the PDF: found, and marked on the page in the viewer.
  await field(page).fill(pdfWord);
  await expect(hit).toContainText('Attachment:');
  await page.keyboard.press('Enter');
  await briefing.getByRole('button', { name: 'Open Annex B.pdf' }).click();
  const viewer = page.getByRole('dialog', { name: /Annex B\.pdf/ });
  // pdf.js opens the file in its own worker: slow on a busy machine, hence the longer wait.
  await expect(viewer.getByRole('group', { name: 'Page 1 of 1' })).toHaveAttribute(
    'data-search-matches',
    '1',
    { timeout: 60_000 },
  );
  if (shell === 'chromium') {
    await page.screenshot({ path: test.info().outputPath('pdf-match.png') });
  }
  await viewer.getByRole('button', { name: 'Close' }).click();

  // Escape clears the search, its marks in the open briefing with it, and brings the list back;
  // / goes to the field again.
  await field(page).fill(word);
  // The same briefing was the answer to the PDF's word: wait for this search's answer.
  await expect(snippet.locator('mark').first()).toHaveText(word);
  await page.keyboard.press('Enter');
  await expect(legend).toBeVisible();
  await expect.poll(() => painted(page)).toBe(2);
  await field(page).focus();
  await page.keyboard.press('Escape');
  await expect(field(page)).toHaveValue('');
  await expect(legend).toHaveCount(0);
  await expect(page.locator('.document__scroll')).toHaveAttribute('data-search-matches', '0');
  await expect.poll(() => painted(page)).toBe(0);
  await expect(page.getByTestId('briefing-counts')).toBeVisible();
  await page.getByTestId('briefing-counts').click();
  await page.keyboard.press('/');
  await expect(field(page)).toBeFocused();
});

test('search answers offline after a restart, and an unshared briefing stops being found', async ({
  product,
  reader,
}) => {
  // A sign-in, a restart and a reconnection.
  test.slow();
  const first = await signedIn(reader);
  let { page } = first;
  const { tag } = first;
  const word = `zircon${tag}`;
  const { sorId } = await product.createBriefing({
    title: `Critical minerals outlook ${tag}`,
    bodyHtml: `<p>Exports of ${word} fell by a third.</p>`,
    classification: 'OFFICIAL',
    priority: 'routine',
    recipients: [SAMPLE_USER.id],
  });
  await field(page).fill(word);
  await expect(count(page)).toHaveText('1 briefing matches');

  // The plane: no server, the reader restarted; the index is on the disk, sealed, and answers.
  await product.stopServer();
  page = await reader.restart();
  await expect(syncStatus(page)).toHaveAttribute('data-state', 'offline');
  await field(page).fill(`"exports of ${word}"`);
  await expect(results(page).getByRole('option', { name: new RegExp(tag) })).toBeVisible();
  await expect(count(page)).toHaveText('1 briefing matches');

  // Unshared: it stops being found, without anything typed again.
  await product.startServer();
  await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date', { timeout: 60_000 });
  await product.unshare(sorId, [SAMPLE_USER.id]);
  await expect(count(page)).toHaveText('No briefings match', { timeout: 30_000 });
  await expect(results(page).getByRole('option')).toHaveCount(0);
});

test('results come a page at a time: more at the end of the list, or with ↓ past the last', async ({
  product,
  reader,
  shell,
}) => {
  // A sign-in and 23 briefings through the SOR.
  test.slow();
  const { page, tag } = await signedIn(reader);
  const word = `hafnium${tag}`;
  const MATCHING = 23;
  for (let i = 0; i < MATCHING; i++) {
    await product.createBriefing({
      title: `Export controls ${i + 1} ${tag}`,
      bodyHtml: `<p>Stocks of ${word} held steady.</p>`,
      classification: 'OFFICIAL',
      priority: 'routine',
      recipients: [SAMPLE_USER.id],
    });
  }
  const options = results(page).getByRole('option');
  await field(page).fill(`${word} `);
  await expect(count(page)).toHaveText(`${MATCHING} briefings match`, { timeout: 30_000 });
  // The first page only: snippets are made for what is shown.
  await expect(options).toHaveCount(20);
  if (shell === 'chromium') {
    await expectAccessible(page, 'search results with more to show');
    await page.screenshot({ path: test.info().outputPath('search-more.png') });
  }
  await page.getByTestId('search-more').click();
  await expect(options).toHaveCount(MATCHING);
  await expect(page.getByTestId('search-more')).toHaveCount(0);
  await expect(field(page)).toBeFocused();

  // The keyboard alone: ↓ past the last result loads the next page, the next ↓ moves into it.
  await field(page).fill(`${word}`);
  await expect(options).toHaveCount(20);
  await expect(options.first()).toHaveAttribute('aria-selected', 'true');
  for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowDown');
  await expect(options).toHaveCount(MATCHING);
  await expect(options.nth(19)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowDown');
  await expect(options.nth(20)).toHaveAttribute('aria-selected', 'true');
  await expect(field(page)).toHaveAttribute(
    'aria-activedescendant',
    (await options.nth(20).getAttribute('id'))!,
  );
});
