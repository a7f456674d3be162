// The annotations service on a real encrypted local store (LevelDB); the keychain is the
// in-memory double (the real one: tests/integration/device/annotations-at-rest.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnnotationsService } from '../../../src/main/annotations/annotations-service.js';
import { createAnnotationsService } from '../../../src/main/annotations/annotations-service.js';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import type { UserStore } from '../../../src/main/storage/types.js';
import { ANNOTATION_LIMITS } from '../../../src/shared/annotations/events.js';
import type { Annotation } from '../../../src/shared/annotations/fold.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import { briefing, memoryLogger, resultValue, seedLocalBriefings, tempDir } from './fixtures.js';

const USER = 'alex.morgan';
const LAPTOP = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const keychain = createInMemoryKeychainTestDouble();
const quote = { exact: 'fiscal outlook', prefix: 'present the ', suffix: ' to Cabinet' };

const value = resultValue;

describe('annotations on a real local store', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: UserStore;
  let service: AnnotationsService;
  const changed: string[][] = [];

  const open = async () => {
    store = await openUserStore({
      dataDir: dir.path,
      userId: USER,
      keychain,
      logger: memoryLogger().logger,
    });
    service = createAnnotationsService({
      store,
      deviceId: LAPTOP,
      logger: memoryLogger().logger,
      onChanged: (ids) => changed.push([...ids]),
    });
  };

  beforeEach(async () => {
    dir = await tempDir('annotations');
    await seedLocalBriefings(dir.path, USER, [briefing('BRF-1', { sourceVersion: 3 })], keychain);
    await open();
    changed.length = 0;
  });
  afterEach(async () => {
    await store.close();
    await dir.remove();
  });

  const create = async (note = ''): Promise<Annotation> =>
    value(
      await service.save({
        action: 'create',
        briefingId: 'briefing:BRF-1',
        quote,
        position: { start: 30, end: 44 },
        colour: 'green',
        note,
      }),
    );

  it('a highlight with a note is one event, listed after a restart with its anchor and version', async () => {
    const created = await create('Ask Treasury about the assumptions');
    expect(changed).toEqual([['briefing:BRF-1']]);
    await store.close();
    await open();
    const [listed, ...others] = await service.list('briefing:BRF-1');
    expect(others).toEqual([]);
    expect(listed).toMatchObject({
      id: created.id,
      note: 'Ask Treasury about the assumptions',
      colour: 'green',
      target: { sorId: 'BRF-1', sourceVersion: 3, quote, position: { start: 30, end: 44 } },
    });
    expect((await store.listReturnDocs()).map((doc) => doc['type'])).toEqual(['annotation-event']);
    expect(await store.countReturnsSince(0)).toBe(1);
  });

  it('edit, delete and undo of the delete each append an event with the next clock', async () => {
    const created = await create();
    const edited = value(
      await service.save({ action: 'edit', annotationId: created.id, note: 'Later' }),
    );
    expect(edited).toMatchObject({ note: 'Later', colour: 'green', clock: 2 });
    value(await service.save({ action: 'delete', annotationId: created.id }));
    expect(await service.list('briefing:BRF-1')).toEqual([]);
    const restored = value(await service.save({ action: 'edit', annotationId: created.id }));
    expect(restored).toMatchObject({ deleted: false, note: 'Later', clock: 4 });
    expect(await service.list('briefing:BRF-1')).toHaveLength(1);
    expect(await store.countReturnsSince(0)).toBe(4);
  });

  it('a note over the limit is refused with its length and the limit, and nothing is written', async () => {
    const result = await service.save({
      action: 'create',
      briefingId: 'briefing:BRF-1',
      note: 'x'.repeat(ANNOTATION_LIMITS.noteChars + 1),
    });
    if (result.ok) throw new Error('an over-long note was saved');
    expect(result.error.code).toBe('annotation-note-too-long');
    expect(result.error.message).toContain('4001 characters; a note may hold at most 4000');
    expect(await store.listReturnDocs()).toEqual([]);
    expect(changed).toEqual([]);
  });

  it('a mark on a briefing that is not on the device is refused, nothing written', async () => {
    const result = await service.save({ action: 'create', briefingId: 'briefing:nope', quote });
    expect(result).toMatchObject({ ok: false, error: { code: 'briefing-not-found' } });
    expect(await store.listReturnDocs()).toEqual([]);
  });

  it('quick successive edits never reuse a clock', async () => {
    const created = await create();
    const results = await Promise.all(
      ['a', 'b', 'c'].map((note) =>
        service.save({ action: 'edit', annotationId: created.id, note }),
      ),
    );
    expect(results.map((result) => value(result).clock)).toEqual([2, 3, 4]);
  });

  it('annotationTextFor gives the plain text of notes and quotes of live marks, for search', async () => {
    await create('Ask Treasury');
    const general = value(
      await service.save({ action: 'create', briefingId: 'briefing:BRF-1', note: 'Call Sam' }),
    );
    expect(await service.annotationTextFor('briefing:BRF-1')).toBe(
      'Ask Treasury\nfiscal outlook\nCall Sam',
    );
    value(await service.save({ action: 'delete', annotationId: general.id }));
    expect(await service.annotationTextFor('briefing:BRF-1')).toBe('Ask Treasury\nfiscal outlook');
    expect(await service.annotatedBriefings()).toEqual(['briefing:BRF-1']);
  });

  it('a detached mark attached to a passage of the new version is one edit event with the new selectors and that version; its note and colour stay; undo puts it back', async () => {
    const created = await create('Ask Treasury');
    // Version 4 arrives: the briefing document replaced, as the pull writes it.
    const stored = await store.getBriefingDoc('briefing:BRF-1');
    const rev = String(stored?._rev);
    await store.pullTarget.writeReplicated([
      {
        ...briefing('BRF-1', { sourceVersion: 4 }),
        _rev: '2-bbb',
        _revisions: { start: 2, ids: ['bbb', rev.slice(2)] },
      },
    ]);
    changed.length = 0;
    const moved = { exact: 'revenue forecast', prefix: 'present the ', suffix: ' on Monday' };
    const attached = value(
      await service.save({
        action: 'edit',
        annotationId: created.id,
        attach: { quote: moved, position: { start: 12, end: 28 } },
      }),
    );
    expect(attached).toMatchObject({
      note: 'Ask Treasury',
      colour: 'green',
      clock: 2,
      target: { sourceVersion: 4, quote: moved, position: { start: 12, end: 28 } },
    });
    expect(changed).toEqual([['briefing:BRF-1']]);
    const events = await store.listReturnDocs();
    expect(events).toHaveLength(2);
    expect(events.find((event) => event['action'] === 'edit')).toMatchObject({
      exact: 'revenue forecast',
      start: 12,
      end: 28,
      sourceVersion: 4,
    });
    // Undo of the attach: the mark back on version 1's passage, as it was (detached again).
    const undone = value(
      await service.save({
        action: 'edit',
        annotationId: created.id,
        attach: {
          quote: created.target.quote!,
          position: created.target.position!,
          sourceVersion: created.target.sourceVersion,
        },
      }),
    );
    expect(undone.target).toEqual(created.target);
    expect(undone).toMatchObject({ note: 'Ask Treasury', colour: 'green', clock: 3 });
    // A version the device does not have is refused; nothing is written.
    const refused = await service.save({
      action: 'edit',
      annotationId: created.id,
      attach: { quote: moved, position: { start: 12, end: 28 }, sourceVersion: 5 },
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'annotation-not-attachable' } });
    expect(await store.listReturnDocs()).toHaveLength(3);
    // And the re-attached mark can be deleted like any other.
    value(await service.save({ action: 'delete', annotationId: created.id }));
    expect(await service.list('briefing:BRF-1')).toEqual([]);
  });

  it('a general note cannot be attached to a passage, and a too long passage is refused; nothing written', async () => {
    const general = value(
      await service.save({ action: 'create', briefingId: 'briefing:BRF-1', note: 'Call Sam' }),
    );
    const refused = await service.save({
      action: 'edit',
      annotationId: general.id,
      attach: { quote, position: { start: 0, end: 14 } },
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'annotation-not-attachable' } });
    const highlight = await create();
    const tooLong = await service.save({
      action: 'edit',
      annotationId: highlight.id,
      attach: {
        quote: { exact: 'x'.repeat(ANNOTATION_LIMITS.quoteChars + 1), prefix: '', suffix: '' },
        position: { start: 0, end: ANNOTATION_LIMITS.quoteChars + 1 },
      },
    });
    expect(tooLong).toMatchObject({ ok: false, error: { code: 'annotation-quote-too-long' } });
    expect(await store.countReturnsSince(0)).toBe(2);
  });
});
