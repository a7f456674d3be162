// Annotations in the real reader (Chromium through the browser host) against the real product:
// select text, highlight it with a note, a general note, undo, a note that is too long; marks
// and notes survive a restart with the server gone; a new version arrives and the marks follow
// their text, and a mark whose passage was removed is shown as detached, then attached again to
// a passage the reader selects, or deleted. The toolbar beside the selection (Escape closes it;
// a selection in the summary is told that only the text can be marked), and the list's sign on
// a briefing that carries notes, there while it does. axe-core in both themes with annotations
// and the toolbar shown; screenshots of each step in the test's output folder.
import { randomUUID } from 'node:crypto';
import type { Locator, Page } from '@playwright/test';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { expectAccessible } from '../support/axe.js';
import { expect, test } from '../support/fixtures.js';
import { selectText } from '../support/select-text.js';
import { signIn } from '../support/sign-in.js';

const tag = randomUUID().slice(0, 8);
const TITLE = `Fiscal outlook ${tag}`;
const MOVING = `the revenue forecast ${tag}`;
const DOOMED = `a consultation plan that will be withdrawn`;
const CUT = `a second passage that version two cuts`;
/** What replaces DOOMED in version two: too different to follow, so the reader re-attaches. */
const REWORDED = `two rounds of public hearings`;
const NOTE = `Ask Treasury <b>why</b> ${tag}`;

const bodyV1 =
  `<p>The Treasurer will present ${MOVING} to Cabinet on Monday.</p>` +
  `<p>The department also proposes ${DOOMED} before the budget.</p>` +
  `<p>It closes with ${CUT}.</p>`;
const bodyV2 =
  `<p>A new opening paragraph was added in this version, before everything else.</p>` +
  `<p>The Treasurer will present ${MOVING} to Cabinet on Tuesday.</p>` +
  `<p>The department now proposes ${REWORDED} in March.</p>`;

/**
 * Selects the first occurrence of `phrase` in the briefing's body (or the page's other text:
 * title, summary), as a person dragging would.
 */
const select = (page: Page, phrase: string, within?: Locator): Promise<void> =>
  selectText(within ?? page.getByTestId('briefing-body'), phrase);

/** The selection's box on screen. */
const selectionBox = (page: Page) =>
  page.evaluate(() => {
    const rect = window.getSelection()?.getRangeAt(0).getBoundingClientRect();
    return rect ? { top: rect.top, bottom: rect.bottom, left: rect.left, right: rect.right } : null;
  });

const shot = (page: Page, name: string) =>
  page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: false });

test('select, highlight, note, restart offline, still there; a new version moves and detaches marks', async ({
  product,
  reader,
}) => {
  // Two restarts, a new version and axe in two themes: longer than one screen's test.
  test.setTimeout(300_000);
  let page = await reader.open();
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(reader);
  const { sorId } = await product.createBriefing({
    title: TITLE,
    summary: 'Revenue and consultation.',
    bodyHtml: bodyV1,
    classification: 'OFFICIAL',
    priority: 'routine',
    recipients: [SAMPLE_USER.id],
    attachments: [],
  });
  const listItem = () =>
    page
      .getByRole('navigation', { name: 'Briefings' })
      .getByRole('button', { name: TITLE, exact: true });
  const notesSign = () => listItem().getByTestId('briefing-has-notes');
  const open = async () => {
    await listItem().click();
    await expect(page.getByTestId('briefing-body')).toContainText(MOVING);
  };
  await open();
  const panel = page.getByRole('region', { name: 'Your notes and highlights' });
  const items = panel.getByTestId('annotation-item');
  await expect(panel).toContainText('Nothing marked yet');
  await expect(notesSign()).toHaveCount(0);

  // The summary is not part of the text marks anchor to: the toolbar beside it says so, and so
  // does the panel's Highlight button.
  const toolbar = page.getByRole('group', { name: 'Mark the selected text' });
  await select(page, 'Revenue and consultation', page.locator('.document__summary'));
  await expect(toolbar).toContainText('Only the briefing’s text can be highlighted');
  await expect(toolbar.getByRole('button', { name: /^Highlight/ })).toHaveCount(0);
  await panel.getByRole('button', { name: 'Highlight', exact: true }).click();
  await expect(panel.getByRole('alert')).toContainText(
    'Only the briefing’s text can be highlighted, not its title, summary or details',
  );
  await shot(page, 'annotations-summary-selected');

  // Highlight with a note from the toolbar beside the selection: it sits just above it.
  await select(page, MOVING);
  await expect(toolbar).toBeVisible();
  // Text of the body selected: the message about the summary is gone.
  await expect(panel.getByRole('alert')).toHaveCount(0);
  const around = await selectionBox(page);
  const bar = await toolbar.boundingBox();
  expect(around && bar).toBeTruthy();
  if (around && bar) {
    expect(bar.y + bar.height).toBeLessThanOrEqual(around.top);
    expect(around.top - (bar.y + bar.height)).toBeLessThan(24);
    expect(bar.x).toBeLessThan(around.right);
    expect(bar.x + bar.width).toBeGreaterThan(around.left);
  }
  await shot(page, 'annotations-toolbar-light');
  // Escape closes the toolbar and nothing else: the briefing stays open.
  await page.keyboard.press('Escape');
  await expect(toolbar).toHaveCount(0);
  await expect(page.getByTestId('briefing-body')).toBeVisible();
  await select(page, MOVING);
  await toolbar.getByRole('button', { name: 'With note' }).click();
  await page.getByRole('textbox', { name: 'Note' }).fill(NOTE);
  await panel.getByRole('button', { name: 'Save note' }).click();
  await expect(items).toHaveCount(1);
  // The note is plain text: the markup in it is shown as typed, never as HTML.
  await expect(items.first()).toContainText(NOTE);
  await expect(panel.locator('b')).toHaveCount(0);
  const mark = page.getByTestId('briefing-body').locator('mark.annotation-mark');
  await expect(mark).toHaveText(MOVING);
  // The list shows, on this briefing's row, that it carries the reader's notes.
  await expect(notesSign()).toHaveAttribute('aria-label', 'Has your notes');
  await expect(listItem()).toHaveAccessibleDescription(/Has your notes: 1 note or highlight/);

  // A green highlight, keyboard only: colour radio, then the toolbar's Highlight; focus lands
  // on the new mark.
  await select(page, DOOMED);
  await panel.getByRole('radio', { name: 'Green' }).focus();
  await page.keyboard.press('Space');
  await toolbar.getByRole('button', { name: 'Highlight in Green' }).focus();
  await page.keyboard.press('Enter');
  await expect(items).toHaveCount(2);
  await expect(items.nth(1)).toContainText('Green highlight');
  await expect(page.locator('mark.annotation-mark--green')).toBeFocused();
  await expect(toolbar).toHaveCount(0);
  // A third, plain panel path (in pink): the panel's Highlight button keeps the selection too.
  await panel.getByRole('radio', { name: 'Pink' }).check();
  await select(page, CUT);
  await panel.getByRole('button', { name: 'Highlight', exact: true }).click();
  await expect(items).toHaveCount(3);

  // A general note, then undo it; delete the green one and undo that.
  await panel.getByRole('button', { name: 'General note' }).click();
  await page.getByRole('textbox', { name: 'Note' }).fill('Call the Secretary before Cabinet');
  await page.keyboard.press('Enter'); // a newline in the note, not a submit
  await panel.getByRole('button', { name: 'Save note' }).click();
  await expect(items).toHaveCount(4);
  await expect(items.first()).toContainText('General note');
  await panel.getByRole('button', { name: 'Undo note' }).click();
  await expect(items).toHaveCount(3);
  await items
    .nth(1)
    .getByRole('button', { name: /^Delete/ })
    .click();
  await expect(items).toHaveCount(2);
  await panel.getByRole('button', { name: 'Undo delete' }).click();
  await expect(items).toHaveCount(3);
  await expect(items.nth(1)).toContainText('Green highlight');
  await expect(page.locator('mark.annotation-mark--green')).toHaveText(DOOMED);

  // Too long: a clear message, nothing saved.
  await panel.getByRole('button', { name: 'General note' }).click();
  await page.getByRole('textbox', { name: 'Note' }).fill('x'.repeat(4001));
  await panel.getByRole('button', { name: 'Save note' }).click();
  await expect(panel.getByRole('alert')).toContainText('at most 4000');
  await expect(items).toHaveCount(3);
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel.getByRole('alert')).toHaveCount(0);

  // "Go to passage" moves focus to the mark.
  await items.first().getByRole('button', { name: 'Go to passage' }).click();
  await expect(mark.first()).toBeFocused();
  await shot(page, 'annotations-light');

  for (const theme of ['light', 'dark'] as const) {
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    if ((await toggle.getAttribute('aria-pressed')) !== String(theme === 'dark')) {
      await toggle.click();
    }
    await expect(toggle).toHaveAttribute('aria-pressed', String(theme === 'dark'));
    await expectAccessible(page, `annotations, ${theme}`);
    // And with the toolbar open beside a selection.
    await select(page, 'present');
    await expect(toolbar).toBeVisible();
    await expectAccessible(page, `annotations with the toolbar, ${theme}`);
    await shot(page, `annotations-toolbar-${theme}`);
    await page.keyboard.press('Escape');
  }
  await shot(page, 'annotations-dark');

  // The plane: the server is gone, the reader restarted; everything is still there.
  await product.stopServer();
  page = await reader.restart();
  await open();
  await expect(items).toHaveCount(3);
  await expect(items.first()).toContainText(NOTE);
  await expect(page.getByTestId('briefing-body').locator('mark.annotation-mark')).toHaveCount(3);
  await shot(page, 'annotations-after-offline-restart');

  // Back online, a new version: the marked passage moved, the other was removed.
  await product.startServer();
  await product.sor('PATCH', `/briefings/${encodeURIComponent(sorId)}`, { bodyHtml: bodyV2 });
  await expect(page.getByTestId('briefing-body')).toContainText('A new opening paragraph', {
    timeout: 60_000,
  });
  const moved = page.getByTestId('briefing-body').locator('mark.annotation-mark');
  await expect(moved).toHaveText(MOVING);
  const detached = items.and(page.locator('[data-kind="detached"]'));
  await expect(detached).toHaveCount(2);
  await expect(detached.first()).toContainText(DOOMED);
  await expect(detached.first()).toContainText('not in version 2; the mark was made on version 1');
  await detached.first().scrollIntoViewIfNeeded();
  await shot(page, 'annotations-new-version');

  // What changed since version 1: the text of version 1, kept on the device when version 2
  // replaced it, against version 2 word by word, with the marks made on version 1 shown on it.
  await detached
    .first()
    .getByRole('button', { name: /^What changed since version 1/ })
    .click();
  const changes = page.getByTestId('version-changes');
  await expect(changes.getByRole('heading')).toHaveText('What changed since version 1');
  const compared = changes.getByTestId('version-changes-text');
  await expect(compared).toBeVisible();
  const texts = async (selector: string) =>
    (await compared.locator(selector).allTextContents()).join(' ');
  expect(await texts('del')).toContain('consultation plan');
  expect(await texts('del')).toContain('a second passage that version');
  expect(await texts('ins')).toContain('public hearings');
  expect(await texts('ins')).toContain('A new opening paragraph');
  // The three marks were made on version 1: the moved one on unchanged text, two on removed text.
  expect(await texts('mark')).toContain(MOVING);
  expect(await texts('del mark')).toContain('consultation plan');
  expect(await texts('del mark')).toContain('a second passage that version');
  // Paragraphs stay apart: the text is shown in lines, not run together.
  await expect(compared).not.toContainText('budget.It closes');
  await expect(changes.getByTestId('version-changes-count')).toContainText(
    '3 of your marks on version 1 shown on its text',
  );
  await expectAccessible(page, 'what changed since version 1');
  await shot(page, 'annotations-what-changed');
  await page.keyboard.press('Escape');
  await expect(changes).toBeHidden();

  // A detached mark deleted: the other stays.
  await detached
    .filter({ hasText: CUT })
    .getByRole('button', { name: /^Delete/ })
    .click();
  await expect(detached).toHaveCount(1);

  // Re-attached: Attach here first (nothing selected: it waits), then the passage selected and
  // the toolbar's Attach here. One edit event, the mark painted on the new passage.
  await detached.getByRole('button', { name: /^Attach here/ }).click();
  await expect(detached).toContainText('Select the passage it belongs to in the briefing');
  await select(page, REWORDED);
  await expect(toolbar.getByRole('button', { name: 'Attach here' })).toBeVisible();
  await shot(page, 'annotations-attach-toolbar');
  await toolbar.getByRole('button', { name: 'Attach here' }).click();
  await expect(detached).toHaveCount(0);
  await expect(page.locator('mark.annotation-mark--green')).toHaveText(REWORDED);
  await expect(items.nth(1)).toContainText('Green highlight');
  await expect(items.nth(1)).toContainText(REWORDED);
  await shot(page, 'annotations-attached');
  // Undo puts it back where it was: detached, with its first quote; attached again after.
  await panel.getByRole('button', { name: 'Undo attach' }).click();
  await expect(detached).toHaveCount(1);
  await expect(page.locator('mark.annotation-mark--green')).toHaveCount(0);
  await detached.getByRole('button', { name: /^Attach here/ }).click();
  await select(page, REWORDED);
  await toolbar.getByRole('button', { name: 'Attach here' }).click();
  await expect(detached).toHaveCount(0);
  await expect(page.locator('mark.annotation-mark--green')).toHaveText(REWORDED);

  // Every mark deleted: the list's sign goes.
  await expect(notesSign()).toHaveCount(1);
  for (let left = 2; left > 0; left--) {
    await items
      .first()
      .getByRole('button', { name: /^Delete/ })
      .click();
    await expect(items).toHaveCount(left - 1);
  }
  await expect(notesSign()).toHaveCount(0);
});
