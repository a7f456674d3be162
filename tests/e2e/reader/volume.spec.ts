// A first sync at volume in the reader (Chromium through the browser host, or the Electron app)
// against the real server and broker on their default limits: a few thousand briefings, one in
// ten with a PDF, written straight into the person's database as the fan-out writes them, and
// fetched over a slow link (a hotel's, about 3 Mbit/s), so the sync takes seconds on any machine,
// however fast. The first screen appears while the rest is still syncing, the list scrolls to its
// last (oldest) briefing, and the status never says the server refused the sync. Screenshots go
// to the test's output folder.
import type { Page } from '@playwright/test';
import { userDbNames } from '../../../server/src/user-dbs/user-dbs.js';
import type { BriefingDoc } from '../../../src/shared/briefing.js';
import { BRIEFING_SCHEMA_VERSION, briefingDocId } from '../../../src/shared/briefing.js';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { eventually } from '../../support/eventually.js';
import { expect, test } from '../support/fixtures.js';
import type { Product } from '../support/product.js';
import type { Reader } from '../support/shells.js';
import { pdfWithText } from '../support/pdf.js';
import { signIn } from '../support/sign-in.js';
import { startSlowLink } from '../support/slow-link.js';

const COUNT = 2_500;
/** The oldest volume briefing: approved before anything else, so it ends the list. */
const OLDEST = 'VOL-00000';
const REFUSED = 'refused the sync';
/** The link's rate from the broker to the device: about 3 Mbit/s. */
const LINK_BYTES_PER_SECOND = 400_000;

const syncStatus = (page: Page) => page.locator('[role="status"][data-state]');
const viewport = (page: Page) => page.locator('.briefing-list__viewport');

/**
 * Briefing n, approved n minutes after the start of 2020 (all older than the sample's); every
 * tenth carries a one-page PDF.
 */
function volumeBriefing(n: number, pdfBytes: number): BriefingDoc & { _id: string } {
  const sorId = `VOL-${String(n).padStart(5, '0')}`;
  const approvedAt = new Date(Date.UTC(2020, 0, 1) + n * 60_000).toISOString();
  const withPdf = n % 10 === 0;
  return {
    _id: briefingDocId(sorId),
    type: 'briefing',
    schemaVersion: BRIEFING_SCHEMA_VERSION,
    sorId,
    sourceVersion: 1,
    contentHash: `hash-${sorId}`,
    title: `Volume briefing ${sorId}`,
    summary: `Standing report ${n} on regional freight, ports and supply lines.`,
    bodyHtml: `<h2>Key points</h2>${'<p>Freight volumes held steady across the quarter.</p>'.repeat(12)}`,
    classification: 'OFFICIAL',
    priority: 'routine',
    sender: { name: 'Jordan Lee', role: 'Chief of Staff' },
    createdAt: approvedAt,
    updatedAt: approvedAt,
    approvedAt,
    attachments: withPdf
      ? [{ name: 'Annex.pdf', contentType: 'application/pdf', size: pdfBytes }]
      : [],
  };
}

/** Writes the briefings into the person's database as the fan-out does (as the CouchDB admin). */
async function writeVolume(product: Product): Promise<void> {
  const db = userDbNames(SAMPLE_USER.id).briefings;
  // The sample's seeded briefings, fanned out after the server starts, make the database.
  await eventually(
    async () => expect((await product.couchAdmin('GET', `/${db}`)).status).toBe(200),
    {
      timeout: 30_000,
      what: "the sample user's database",
    },
  );
  const pdf = await pdfWithText('Annex: freight figures');
  for (let at = 0; at < COUNT; at += 250) {
    const docs = Array.from({ length: Math.min(250, COUNT - at) }, (_, i) => {
      const doc = volumeBriefing(at + i, Buffer.from(pdf, 'base64').length);
      return doc.attachments.length > 0
        ? { ...doc, _attachments: { 'Annex.pdf': { content_type: 'application/pdf', data: pdf } } }
        : doc;
    });
    const reply = await product.couchAdmin('POST', `/${db}/_bulk_docs`, { docs });
    expect(reply.status, reply.text).toBe(201);
  }
}

type Recorded = {
  /** Every text the sync status showed, in order, prefixed with its state. */
  texts: string[];
  /** The sync state and the list's counts at the moment the first briefing was on screen. */
  atFirstScreen: { state: string | null; counts: string | null } | null;
};

/** Records, in the page as it changes, what the sync status shows and the first screen. */
async function recordStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Recorded = { texts: [], atFirstScreen: null };
    (window as unknown as { __recorded: Recorded }).__recorded = seen;
    const note = () => {
      const status = document.querySelector('[role="status"][data-state]');
      const state = status?.getAttribute('data-state') ?? null;
      const text = status ? `${state}: ${status.textContent}` : null;
      if (text && seen.texts.at(-1) !== text) seen.texts.push(text);
      if (!seen.atFirstScreen && document.querySelector('.briefing-item')) {
        const counts = document.querySelector('[data-testid="briefing-counts"]');
        seen.atFirstScreen = { state, counts: counts?.textContent ?? null };
      }
    };
    new MutationObserver(note).observe(document.documentElement, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
    note();
  });
}

const recorded = (page: Page) =>
  page.evaluate(() => (window as unknown as { __recorded: Recorded }).__recorded);

test(`a first sync of ${COUNT} briefings: the first screen while it runs, the list scrolls to its end, never a refusal`, async ({
  product,
  reader,
}) => {
  test.setTimeout(180_000);
  await writeVolume(product);
  const total = COUNT + 24;
  const link = await startSlowLink(product.ports.broker, LINK_BYTES_PER_SECOND);
  product.deviceBrokerUrl = link.url;
  try {
    await firstSyncAtVolume(reader, total, link.delivered);
  } finally {
    await link.close();
  }
});

async function firstSyncAtVolume(
  reader: Reader,
  total: number,
  delivered: () => number,
): Promise<void> {
  const page = await reader.open();
  await recordStatuses(page);
  const started = Date.now();
  await signIn(reader);
  const signedInMs = Date.now() - started;

  // The first screen: the newest briefings, while the rest is still arriving.
  await expect(page.locator('.briefing-item').first()).toBeVisible();
  const firstScreenMs = Date.now() - started;
  await page.screenshot({ path: test.info().outputPath('volume-first-screen.png') });
  const { atFirstScreen } = await recorded(page);
  expect(atFirstScreen?.state).not.toBe('up-to-date');
  const heldAtFirstScreen = Number(
    (atFirstScreen?.counts ?? '').replace(/,/g, '').replace(/\D.*$/, ''),
  );
  expect(heldAtFirstScreen).toBeLessThan(total);

  await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date', { timeout: 120_000 });
  const syncedMs = Date.now() - started;
  await expect(page.getByTestId('briefing-counts')).toContainText(total.toLocaleString('en'));

  // Scrolling to the end brings the oldest briefing, page by page.
  const oldest = page
    .getByRole('navigation', { name: 'Briefings' })
    .getByRole('button', { name: new RegExp(`Volume briefing ${OLDEST}`) });
  await eventually(
    async () => {
      await viewport(page).evaluate((element) => element.scrollTo({ top: element.scrollHeight }));
      await expect(oldest).toBeInViewport({ timeout: 500 });
    },
    { timeout: 60_000, interval: 100, what: 'the last briefing at the end of the list' },
  );
  await page.screenshot({ path: test.info().outputPath('volume-end-of-list.png') });
  await oldest.click();
  await expect(
    page.getByRole('main', { name: 'Briefing' }).getByRole('heading', { level: 1 }),
  ).toHaveText(`Volume briefing ${OLDEST}`);

  const { texts } = await recorded(page);
  expect(texts.filter((text) => text.includes(REFUSED))).toEqual([]);
  console.log(
    `volume: signed in after ${signedInMs} ms, first screen after ${firstScreenMs} ms (${atFirstScreen?.counts ?? ''}, ${atFirstScreen?.state ?? ''}), up to date after ${syncedMs} ms, ${delivered().toLocaleString('en')} bytes over the slow link; statuses: ${texts.map((t) => t.split(':')[0]).join(' > ')}`,
  );
}
