// The text of the version a mark was made on, kept on the device when a new version replaces it
// (the server serves only the current one), for the reader's "what changed since version N".
// Real encrypted local store; the keychain is the in-memory double.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnnotationsService } from '../../../src/main/annotations/annotations-service.js';
import { createAnnotationsService } from '../../../src/main/annotations/annotations-service.js';
import { readStoreKey } from '../../../src/main/storage/store-key.js';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import type { UserStore } from '../../../src/main/storage/types.js';
import { MAX_KEPT_VERSIONS } from '../../../src/main/storage/version-texts.pouch.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import {
  briefing,
  memoryLogger,
  resultValue,
  seedLocalBriefings,
  storeLocation,
  tempDir,
} from './fixtures.js';
import { ciphertextProbe, decryptedEntries, filesContaining } from './raw-store.js';

const USER = 'alex.morgan';
const LAPTOP = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const PHRASE = 'Operation Quiet Lantern';
const V3_BODY = `<p>We will present the fiscal outlook to Cabinet. ${PHRASE} begins at dawn.</p>`;
const keychain = createInMemoryKeychainTestDouble();

const value = resultValue;

describe('the text of an annotated version', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: UserStore;
  let service: AnnotationsService;

  const open = async () => {
    store = await openUserStore({
      dataDir: dir.path,
      userId: USER,
      keychain,
      logger: memoryLogger().logger,
    });
    service = createAnnotationsService({ store, deviceId: LAPTOP, logger: memoryLogger().logger });
  };
  /** The pull writes the next revision of a briefing the store holds, as replication does. */
  const arrives = async (
    sorId: string,
    overrides: Parameters<typeof briefing>[1],
    deleted = false,
  ) => {
    const held = await store.getBriefingDoc(`briefing:${sorId}`);
    const [start, hash] = String(held?._rev).split('-');
    const next = Number(start) + 1;
    await store.pullTarget.writeReplicated([
      {
        ...briefing(sorId, overrides),
        _rev: `${next}-n${next}`,
        _revisions: { start: next, ids: [`n${next}`, String(hash)] },
        ...(deleted ? { _deleted: true } : {}),
      },
    ]);
  };
  const highlight = async (sorId: string) =>
    value(
      await service.save({
        action: 'create',
        briefingId: `briefing:${sorId}`,
        quote: { exact: 'fiscal outlook', prefix: 'present the ', suffix: ' to Cabinet' },
        position: { start: 20, end: 34 },
        note: 'Ask Treasury',
      }),
    );

  beforeEach(async () => {
    dir = await tempDir('annotation-versions');
    await seedLocalBriefings(
      dir.path,
      USER,
      [
        briefing('BRF-1', { sourceVersion: 3, title: 'Budget v3', bodyHtml: V3_BODY }),
        briefing('BRF-2', { bodyHtml: '<p>Nothing marked here</p>' }),
      ],
      keychain,
    );
    await open();
  });
  afterEach(async () => {
    await store.close();
    await dir.remove();
  });

  it('a new version of a marked briefing keeps the marked version, after a restart too; unmarked ones and later versions are not kept', async () => {
    await highlight('BRF-1');
    // Nothing is kept while the marked version is the current one.
    expect(await service.versionText('briefing:BRF-1', 3)).toBeNull();

    await arrives('BRF-1', { sourceVersion: 4, bodyHtml: '<p>The revenue forecast.</p>' });
    await arrives('BRF-2', { sourceVersion: 2, bodyHtml: '<p>Still nothing marked</p>' });
    const kept = await service.versionText('briefing:BRF-1', 3);
    expect(kept).toMatchObject({ sourceVersion: 3, title: 'Budget v3', bodyHtml: V3_BODY });
    expect(Number.isNaN(Date.parse(kept?.keptAt ?? ''))).toBe(false);
    expect(await service.versionText('briefing:BRF-2', 1)).toBeNull();

    await store.close();
    await open();
    expect(await service.versionText('briefing:BRF-1', 3)).toMatchObject({ bodyHtml: V3_BODY });

    // Version 5: the mark still names version 3, so version 4 (never marked) is not kept.
    await arrives('BRF-1', { sourceVersion: 5, bodyHtml: '<p>The revenue forecast, again.</p>' });
    expect(await service.versionText('briefing:BRF-1', 4)).toBeNull();
    expect(await service.versionText('briefing:BRF-1', 3)).toMatchObject({ bodyHtml: V3_BODY });
    // The current version is the briefing itself, never a kept copy.
    expect(await service.versionText('briefing:BRF-1', 5)).toBeNull();
  });

  it('an unshared briefing takes its kept versions off the disk with it', async () => {
    await highlight('BRF-1');
    await arrives('BRF-1', { sourceVersion: 4, bodyHtml: '<p>The revenue forecast.</p>' });
    const paths = await storeLocation(dir.path, USER, keychain);
    const dataKey = await readStoreKey(keychain, USER);
    if (!dataKey) throw new Error('the store has no key');

    // Control: the kept text is a sealed value holding the phrase, findable in the raw files
    // (read with the store closed: LevelDB allows one opener).
    await store.close();
    const sealed = (await decryptedEntries(paths.briefings, dataKey, 'briefings'))
      .filter((entry) => entry.plain.includes(PHRASE))
      .map((entry) => ciphertextProbe(entry.value));
    expect(sealed.length).toBeGreaterThan(0);
    for (const probe of sealed)
      expect(await filesContaining(paths.briefings, probe)).not.toEqual([]);
    expect(await filesContaining(dir.path, PHRASE)).toEqual([]);
    await open();

    // The unshare arrives as a deletion; the purge follows it, as the sync service runs it.
    await arrives('BRF-1', { sourceVersion: 4 }, true);
    await store.purgeDeleted();
    expect(await service.versionText('briefing:BRF-1', 3)).toBeNull();
    await store.close();
    for (const probe of sealed) expect(await filesContaining(dir.path, probe)).toEqual([]);
    const after = await decryptedEntries(paths.briefings, dataKey, 'briefings');
    expect(after.filter((entry) => entry.plain.includes(PHRASE))).toEqual([]);
    await open();
  });

  it(`keeps the ${MAX_KEPT_VERSIONS} newest versions of one briefing`, async () => {
    for (let version = 1; version <= MAX_KEPT_VERSIONS + 3; version++) {
      await store.keepVersionText({
        briefingId: 'briefing:BRF-1',
        sourceVersion: version,
        title: `v${version}`,
        bodyHtml: `<p>${version}</p>`,
        keptAt: '2026-12-06T00:00:00.000Z',
      });
    }
    // Kept once: a second keep of a version changes nothing.
    await store.keepVersionText({
      briefingId: 'briefing:BRF-1',
      sourceVersion: 23,
      title: 'other',
      bodyHtml: '',
      keptAt: '2026-12-07T00:00:00.000Z',
    });
    expect(await store.readVersionText('briefing:BRF-1', 3)).toBeNull();
    expect(await store.readVersionText('briefing:BRF-1', 4)).toMatchObject({ title: 'v4' });
    expect(await store.readVersionText('briefing:BRF-1', 23)).toMatchObject({ title: 'v23' });
  });
});
