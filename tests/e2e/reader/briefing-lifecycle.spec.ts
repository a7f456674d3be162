// The walking skeleton end to end, in the reader (Chromium through the browser host, or the
// Electron app) against the real processes: a briefing approved in the SOR reaches the reader,
// stays readable with the server gone and the reader restarted, and disappears once it is
// unshared.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Page } from '@playwright/test';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { expect, test } from '../support/fixtures.js';
import { pdfWithText } from '../support/pdf.js';
import { signIn } from '../support/sign-in.js';

const syncStatus = (page: Page) => page.locator('[role="status"][data-state]');
const briefingButton = (page: Page, title: string) =>
  page
    .getByRole('navigation', { name: 'Briefings' })
    .getByRole('button', { name: title, exact: true });

test('a briefing shared through the SOR appears, stays readable offline after a restart, and goes on unshare', async ({
  product,
  reader,
}) => {
  let page = await reader.open();
  await signIn(reader);
  await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date');
  // The status says so in words, with when the last sync was (the exact time for a screen reader).
  await expect(syncStatus(page)).toContainText('Up to date');
  await expect(syncStatus(page)).toContainText(/Synced (just now|\d+ (second|minute)s? ago)/);
  await expect(syncStatus(page)).toContainText(/Last synced \w+day, /);
  // The sample user's seeded briefings are there.
  await expect(page.getByTestId('briefing-counts')).toContainText('24');

  const tag = randomUUID().slice(0, 8);
  const title = `Port security review ${tag}`;
  const phrase = `heliotrope-${tag}`;
  const pdfLine = `Annex costings ${tag}`;
  const { sorId } = await product.createBriefing({
    title,
    summary: 'Findings of the review and recommended next steps.',
    bodyHtml: `<h2>Key points</h2><p>The review found the ${phrase} arrangements adequate.</p><ul><li>One</li><li>Two</li></ul>`,
    classification: 'PROTECTED',
    priority: 'urgent',
    recipients: [SAMPLE_USER.id],
    attachments: [
      {
        name: 'Annex A.pdf',
        contentType: 'application/pdf',
        dataBase64: await pdfWithText(pdfLine),
      },
      // Declared a PDF, but its bytes are not one (a damaged or mislabelled file from the SOR):
      // nothing on the way checks a PDF's inside, so it reaches the reader as it is.
      {
        name: 'Damaged.pdf',
        contentType: 'application/pdf',
        dataBase64: Buffer.from('%PDF-1.7\nthis file was cut short').toString('base64'),
      },
    ],
  });

  // It arrives by itself: no reload, no click.
  const item = briefingButton(page, title);
  await expect(item).toBeVisible();
  await expect(item).toHaveAttribute('data-unread', 'true');
  await expect(item).toHaveAttribute('data-classification', 'PROTECTED');
  // Its marking and priority are shown in words, and as the newest it heads the list.
  await expect(item).toContainText('PROTECTED');
  await expect(item).toContainText(/urgent/i);
  await expect(page.locator('.briefing-item').first()).toHaveAttribute(
    'data-briefing-id',
    `briefing:${sorId}`,
  );
  const shown = await page
    .locator('.briefing-item time')
    .evaluateAll((times) => times.map((t) => Date.parse(t.getAttribute('datetime') ?? '')));
  expect(shown.length).toBeGreaterThanOrEqual(5);
  expect(shown).toEqual([...shown].sort((a, b) => b - a));

  await item.click();
  const briefing = page.getByRole('main', { name: 'Briefing' });
  await expect(briefing.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(page.getByTestId('briefing-body')).toContainText(phrase);
  await expect(page.getByTestId('classification-banner-top')).toHaveText(/PROTECTED/);
  await expect(page.getByTestId('classification-banner-bottom')).toHaveText(/PROTECTED/);
  await expect(item).toHaveAttribute('data-unread', 'false');

  // The PDF attachment renders in the in-app viewer.
  await briefing.getByRole('button', { name: 'Open Annex A.pdf' }).click();
  const viewer = page.getByRole('dialog', { name: /Annex A\.pdf/ });
  await expect(viewer.getByRole('group', { name: 'Page 1 of 1' })).toHaveAttribute(
    'data-rendered',
    'true',
  );
  await expect(viewer).toContainText(pdfLine);
  await expect(viewer.getByRole('button', { name: 'Zoom in' })).toBeEnabled();
  await viewer.getByRole('button', { name: 'Close' }).click();

  // One that cannot be rendered says so, and offers no zoom: there is nothing to zoom.
  await briefing.getByRole('button', { name: 'Open Damaged.pdf' }).click();
  const damaged = page.getByRole('dialog', { name: /Damaged\.pdf/ });
  await expect(damaged.getByRole('alert')).toHaveText(
    'This PDF could not be displayed. The file may be damaged.',
  );
  const zoom = damaged.getByRole('group', { name: 'Zoom' });
  for (const name of ['Zoom out', 'Zoom in', 'Fit to width']) {
    await expect(zoom.getByRole('button', { name })).toBeDisabled();
  }
  await page.keyboard.press('+');
  await expect(zoom.getByRole('status', { name: 'Zoom level' })).toHaveText('–');
  await damaged.getByRole('button', { name: 'Close' }).click();
  await expect(damaged).toHaveCount(0);

  // The plane: the server is gone and the reader is restarted.
  await product.stopServer();
  page = await reader.restart();
  await expect(syncStatus(page)).toHaveAttribute('data-state', 'offline');
  await expect(syncStatus(page)).toContainText('Offline');
  await expect(syncStatus(page)).toContainText(/Synced/); // when it last had the server
  await briefingButton(page, title).click();
  await expect(page.getByTestId('briefing-body')).toContainText(phrase);
  await expect(page.getByTestId('briefing-counts')).toContainText('25');

  // Something at the broker's address that answers every request with an error (here a
  // stand-in answering 500, as a broken server behind a gateway would) is a sync problem: its
  // reason is shown in words where people look, not only in a tooltip, and no "Synced just
  // now" stands beside it.
  const broken = createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'internal_server_error', reason: 'stand-in' }));
  });
  await new Promise<void>((resolve) => broken.listen(product.ports.broker, '127.0.0.1', resolve));
  try {
    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect(syncStatus(page)).toHaveAttribute('data-state', 'error', { timeout: 60_000 });
    const reason = 'The briefing server refused the sync.';
    const banner = page.getByTestId('sync-problem');
    await expect(banner).toBeInViewport();
    await expect(banner).toContainText(`Sync problem. ${reason}`, { useInnerText: true });
    await expect(banner).toContainText(/Last good sync (just now|\d+ (second|minute)s? ago)/);
    // Shown, not only announced: a line of text, not a visually hidden one-pixel box.
    const box = await banner.boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    expect(box?.height).toBeGreaterThan(12);
    await expect(syncStatus(page)).toContainText('Sync problem');
    await expect(page.getByTestId('sync-problem-reason')).toContainText(reason);
    for (const place of [syncStatus(page), banner]) {
      await expect(place).not.toContainText(/Synced/);
    }
  } finally {
    await new Promise((resolve) => broken.close(resolve));
    broken.closeAllConnections();
  }

  // Back on the network, the SOR unshares it: it leaves the reader by itself.
  await product.startServer();
  await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date', { timeout: 60_000 });
  await expect(page.getByTestId('sync-problem')).toHaveCount(0);
  await product.unshare(sorId, [SAMPLE_USER.id]);
  await expect(briefingButton(page, title)).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('briefing-counts')).toContainText('24');
});

test('hostile HTML in a briefing is inert', async ({ product, reader }) => {
  const page = await reader.open();
  await signIn(reader);
  const tag = randomUUID().slice(0, 8);
  const title = `Hostile content ${tag}`;
  await product.createBriefing({
    title,
    bodyHtml: [
      `<p id="marker-${tag}">Visible text ${tag}</p>`,
      `<script>window.__pwned = 'script'</script>`,
      `<img src="x" onerror="window.__pwned = 'onerror'">`,
      `<a href="javascript:window.__pwned='link'">click me</a>`,
      `<iframe src="https://example.com"></iframe>`,
      `<form action="https://example.com"><input name="q"></form>`,
    ].join(''),
    classification: 'OFFICIAL',
    priority: 'routine',
    recipients: [SAMPLE_USER.id],
  });
  await briefingButton(page, title).click();
  const body = page.getByTestId('briefing-body');
  await expect(body).toContainText(`Visible text ${tag}`);
  await body.getByText('click me').click();
  expect(
    await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned),
  ).toBeUndefined();
  await expect(body.locator('script, iframe, form, input, [onerror]')).toHaveCount(0);
});
