// Notes on a PDF attachment, in the viewer: text selected on a page's text layer is highlighted,
// a page without text gets a note of its own, both are listed by page beside the pages, undo and
// delete work, the note stays plain text, the viewer stays accessible, and the marks are there
// when the file is opened again. The briefing's list shows it carries notes, and search finds
// the note's words. Screenshots go to the test's output folder.
import { randomUUID } from 'node:crypto';
import type { Page } from '@playwright/test';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { expectAccessible } from '../support/axe.js';
import { expect, test } from '../support/fixtures.js';
import { pdfWithPages } from '../support/pdf.js';
import { selectText } from '../support/select-text.js';
import { signIn } from '../support/sign-in.js';

const tag = randomUUID().slice(0, 8);
const TITLE = `Minerals annex ${tag}`;
const PASSAGE = `tantalum by region`;
const NOTE = `Compare the map <b>with</b> last year ${tag}`;

/** Selects `phrase` in the text layer of page `n` of the open viewer, as a drag would. */
const selectOnPage = (page: Page, n: number, phrase: string): Promise<void> =>
  selectText(page.locator(`.pdf-text-layer[data-page="${n}"]`), phrase);

/** How many ranges the reader's yellow highlights paint (CSS Custom Highlight API). */
const yellowRanges = (page: Page) =>
  page.evaluate(() => CSS.highlights.get('annotation-yellow')?.size ?? 0);

test('notes on a PDF: a highlight on a page’s text, a note on a page without text, listed, undone, kept', async ({
  product,
  reader,
}) => {
  test.slow();
  const page = await reader.open();
  await page.setViewportSize({ width: 1400, height: 900 });
  await signIn(reader);
  await product.createBriefing({
    title: TITLE,
    summary: 'Where the minerals are.',
    bodyHtml: '<p>The annex maps the reserves.</p>',
    classification: 'OFFICIAL',
    priority: 'routine',
    recipients: [SAMPLE_USER.id],
    attachments: [
      {
        name: 'Annex.pdf',
        contentType: 'application/pdf',
        dataBase64: await pdfWithPages([`Reserves of ${PASSAGE} in 2026`, null]),
      },
    ],
  });
  const listItem = page
    .getByRole('navigation', { name: 'Briefings' })
    .getByRole('button', { name: TITLE, exact: true });
  await listItem.click();
  const openViewer = async () => {
    await page.getByRole('button', { name: 'Open Annex.pdf' }).click();
    const viewer = page.getByRole('dialog', { name: /Annex\.pdf/ });
    await expect(viewer.locator('.pdf-text-layer[data-page="1"]')).toContainText(PASSAGE, {
      timeout: 30_000,
    });
    return viewer;
  };
  let viewer = await openViewer();
  const notes = viewer.getByRole('complementary', { name: 'Your notes on this file' });
  const items = notes.getByTestId('pdf-note');
  await expect(notes).toContainText('No notes on this file yet.');
  await expect(notes.getByRole('button', { name: 'Highlight', exact: true })).toBeDisabled();

  // A passage of page 1, highlighted.
  await selectOnPage(page, 1, PASSAGE);
  await expect(notes).toContainText('Selected on page 1.');
  await notes.getByRole('button', { name: 'Highlight', exact: true }).click();
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText('Page 1, Yellow highlight');
  await expect(items.first()).toContainText(PASSAGE);
  await expect.poll(() => yellowRanges(page)).toBe(1);
  const painted = await page.evaluate(() =>
    [...(CSS.highlights.get('annotation-yellow') ?? [])]
      .map((range) => (range as Range).toString())
      .join('|'),
  );
  expect(painted).toBe(PASSAGE);

  // Page 2 has no text: a note on the page as a whole, from the page's own button.
  await viewer.getByRole('button', { name: 'Note on page 2' }).click();
  await expect(notes).toContainText('Note on page 2');
  await notes.getByLabel('Note', { exact: true }).fill(NOTE);
  await notes.getByRole('button', { name: 'Save note' }).click();
  await expect(items).toHaveCount(2);
  await expect(items.nth(1)).toContainText('Page 2, note');
  // Plain text: the markup typed is shown as typed, never made an element.
  await expect(items.nth(1)).toContainText('<b>with</b>');
  await expect(items.nth(1).locator('b')).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath('pdf-notes.png') });

  // Deleted, then undone.
  await items
    .nth(1)
    .getByRole('button', { name: /^Delete/ })
    .click();
  await expect(items).toHaveCount(1);
  await notes.getByRole('button', { name: 'Undo delete' }).click();
  await expect(items).toHaveCount(2);

  // Go to page: page 2 comes into view with focus.
  await items
    .nth(1)
    .getByRole('button', { name: /^Go to page 2/ })
    .click();
  await expect(viewer.locator('.pdf-page[data-page="2"]')).toBeFocused();

  await expectAccessible(page, 'the PDF viewer with its notes', { within: '.pdf-viewer' });

  // Closed and opened again: both there, the highlight painted again.
  await viewer.getByRole('button', { name: 'Close' }).click();
  await expect(viewer).toBeHidden();
  await expect.poll(() => yellowRanges(page)).toBe(0);
  viewer = await openViewer();
  await expect(items).toHaveCount(2);
  await expect.poll(() => yellowRanges(page)).toBe(1);
  await viewer.getByRole('button', { name: 'Close' }).click();

  // The briefing's own panel lists them too, by file and page.
  const onFiles = page.getByTestId('attachment-note');
  await expect(onFiles).toHaveCount(2);
  await expect(onFiles.first()).toContainText('Annex.pdf, page 1: Yellow highlight');
  await expect(onFiles.nth(1)).toContainText('Annex.pdf, page 2: note');
  await onFiles.first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('panel-attachment-notes.png') });
  // The list says the briefing carries notes; search finds the note's words.
  await expect(listItem.getByTestId('briefing-has-notes')).toBeVisible();
  const field = page.getByRole('combobox', { name: 'Search briefings' });
  await field.fill(`map ${tag}`);
  await expect(
    page
      .getByRole('listbox', { name: 'Search results' })
      .getByRole('option', { name: /Minerals annex/ }),
  ).toBeVisible();
});
