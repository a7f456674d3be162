// The reader's notes are searchable: the workspace gives the search index each briefing's note
// text when its annotations change, and a deleted note stops being found. Real LevelDB, the real
// OS keychain (gnome-keyring in the D-Bus session scripts/test.sh starts) and the built-in search
// index in its worker thread.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { keychainDir } from './keychain-dir.js';
import { openUserWorkspace } from '../../../src/main/session/user-workspace.js';
import { eventually } from '../../support/eventually.js';
import { briefing, memoryLogger, seedLocalBriefings } from '../../unit/device/fixtures.js';

const USER = 'alex.morgan@example.gov';
// One word nothing else in the store contains, so only the note can make the briefing match.
const NOTE_WORD = `heronquill${randomUUID()
  .slice(0, 8)
  .replace(/[^a-z]/g, 'x')}`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('annotations in search', () => {
  it('finds a briefing by the words of a note, and no longer once the note is deleted', async () => {
    const dir = await keychainDir('annotations-search');
    cleanups.push(dir.remove);
    const { keychain } = dir;
    const { logger } = memoryLogger();
    await seedLocalBriefings(
      dir.path,
      USER,
      [briefing('BRF-9', { bodyHtml: '<p>Critical minerals reserve.</p>' })],
      keychain,
    );
    const workspace = await openUserWorkspace({
      dataDir: dir.path,
      brokerUrl: 'http://127.0.0.1:9',
      userId: USER,
      keychain,
      tokenProvider: { getAccessToken: () => Promise.resolve(null) },
      logger,
      deviceId: randomUUID(),
      onBriefingsChanged: () => undefined,
    });
    cleanups.unshift(() => workspace.close());
    const found = async () =>
      (await workspace.search.query({ text: NOTE_WORD })).hits.map((hit) => hit.id);

    // Control: the briefing is indexed, and the word is not in it.
    await eventually(async () =>
      expect((await workspace.search.query({ text: 'minerals' })).hits.map((h) => h.id)).toEqual([
        'briefing:BRF-9',
      ]),
    );
    expect(await found()).toEqual([]);

    const saved = await workspace.annotations.save({
      action: 'create',
      briefingId: 'briefing:BRF-9',
      quote: { exact: 'minerals', prefix: 'Critical ', suffix: ' reserve.' },
      position: { start: 9, end: 17 },
      colour: 'yellow',
      note: `Ask about ${NOTE_WORD} before Cabinet`,
    });
    expect(saved.ok).toBe(true);
    await eventually(async () => expect(await found()).toEqual(['briefing:BRF-9']));
    expect(
      (await workspace.search.query({ text: NOTE_WORD, filters: { hasNotes: true } })).total,
    ).toBe(1);

    if (!saved.ok) return;
    const removed = await workspace.annotations.save({
      action: 'delete',
      annotationId: saved.value.id,
    });
    expect(removed.ok).toBe(true);
    await eventually(async () => expect(await found()).toEqual([]));
  });
});
