// Annotations are encrypted at rest like the rest of the store: a phrase typed into a note (and
// the passage it marks) is in no raw file, on real LevelDB with the data key in the real OS
// keychain (gnome-keyring in the D-Bus session scripts/test.sh starts); and they go with the
// store when it is discarded (sign-out and wipe discard it: sign-out.test.ts).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { keychainDir } from './keychain-dir.js';
import { createAnnotationsService } from '../../../src/main/annotations/annotations-service.js';
import { discardUserStore, openUserStore } from '../../../src/main/storage/store.pouch.js';
import {
  briefing,
  memoryLogger,
  seedLocalBriefings,
  storeLocation,
} from '../../unit/device/fixtures.js';
import { filesContaining } from '../../unit/device/raw-store.js';

const USER = 'alex.morgan@example.gov';
const DEVICE = randomUUID();
const NOTE_PHRASE = `Canary heron ${randomUUID()}`;
const PASSAGE = `Quiet passage ${randomUUID()}`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('annotations at rest', () => {
  it('keeps a phrase typed in a note, and the quote it marks, out of every raw file', async () => {
    const dir = await keychainDir('annotations-at-rest');
    cleanups.push(dir.remove);
    const { keychain } = dir;
    const { logger, records } = memoryLogger();
    await seedLocalBriefings(
      dir.path,
      USER,
      [briefing('BRF-7', { bodyHtml: '<p>Intro.</p>' })],
      keychain,
    );
    const open = () => openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });

    let store = await open();
    const annotations = createAnnotationsService({ store, deviceId: DEVICE, logger });
    const saved = await annotations.save({
      action: 'create',
      briefingId: 'briefing:BRF-7',
      quote: { exact: PASSAGE, prefix: 'Intro. ', suffix: '' },
      position: { start: 7, end: 7 + PASSAGE.length },
      colour: 'blue',
      note: NOTE_PHRASE,
    });
    expect(saved.ok).toBe(true);
    await store.close();

    const { folder } = await storeLocation(dir.path, USER, keychain);
    // Control: the raw-file search finds what is there in the clear (the document ids).
    expect(await filesContaining(folder, 'annotation-event:')).not.toEqual([]);
    for (const needle of [NOTE_PHRASE, PASSAGE, 'Canary heron', 'Quiet passage']) {
      expect(await filesContaining(folder, needle)).toEqual([]);
    }
    expect(JSON.stringify(records)).not.toContain('Canary heron');

    // A restart reads it back; discarding the store (as sign-out and wipe do) erases it.
    store = await open();
    const reread = createAnnotationsService({ store, deviceId: DEVICE, logger });
    expect((await reread.list('briefing:BRF-7')).map((a) => a.note)).toEqual([NOTE_PHRASE]);
    await store.close();
    await discardUserStore({ dataDir: dir.path, userId: USER, keychain });
    expect(existsSync(folder)).toBe(false);
  });
});
