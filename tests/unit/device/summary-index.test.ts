// The summary index on a real encrypted store: the list comes from it, paged, without reading a
// body; it follows the store's changes; it survives a restart, and a missing or damaged file is
// rebuilt; a store written by the previous release (no index) gets one on first open. Each
// summary counts the reader's live annotations, from the marks the index keeps of the events; an
// index file of the previous format (without them) is migrated.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.js';
import { briefingDocId } from '../../../src/shared/briefing.js';
import type { BriefingsService } from '../../../src/main/briefings/briefings-service.js';
import { createBriefingsService } from '../../../src/main/briefings/briefings-service.js';
import { createAnnotationsService } from '../../../src/main/annotations/annotations-service.js';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import { summaryIndexPath } from '../../../src/main/storage/summary-index.file.js';
import type { ReplicatedDoc, UserStore } from '../../../src/main/storage/types.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import { briefing, memoryLogger, openLocalDb, seedLocalBriefings, tempDir } from './fixtures.js';

const USER = 'casey.nguyen@example.gov';
const keychain = createInMemoryKeychainTestDouble();

/** Briefing n is approved n minutes after the epoch below: the highest n is the newest. */
function numbered(n: number) {
  const approvedAt = new Date(Date.UTC(2025, 2, 1) + n * 60_000).toISOString();
  return briefing(`BRF-${String(n).padStart(4, '0')}`, { approvedAt, title: `Briefing ${n}` });
}

function idsNewestFirst(count: number): string[] {
  return Array.from({ length: count }, (_, i) => numbered(count - i)._id);
}

describe('the summary index', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let open: { store: UserStore; service: BriefingsService }[] = [];
  let log: ReturnType<typeof memoryLogger>;

  const openService = async (
    wrap: (store: UserStore) => UserStore = (store) => store,
    onChanged?: (ids: readonly string[]) => void,
  ): Promise<{ store: UserStore; service: BriefingsService }> => {
    const store = await openUserStore({
      dataDir: dir.path,
      userId: USER,
      keychain,
      logger: log.logger,
    });
    const service = createBriefingsService({
      store: wrap(store),
      logger: log.logger,
      ...(onChanged ? { onChanged } : {}),
    });
    const opened = { store, service };
    open.push(opened);
    return opened;
  };
  const closeAll = async (): Promise<void> => {
    for (const { store, service } of open) {
      await service.close();
      await store.close();
    }
    open = [];
  };

  /** Marks `phrase` on briefing n through the real annotations service; answers its id. */
  const annotate = async (store: UserStore, n: number, phrase: string): Promise<string> => {
    const annotations = createAnnotationsService({
      store,
      deviceId: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
      logger: log.logger,
    });
    const result = await annotations.save({
      action: 'create',
      briefingId: numbered(n)._id,
      quote: { exact: phrase, prefix: '', suffix: '' },
      position: { start: 0, end: phrase.length },
    });
    if (!result.ok) throw new Error(result.error.message);
    return result.value.id;
  };
  const unannotate = async (store: UserStore, annotationId: string): Promise<void> => {
    const annotations = createAnnotationsService({
      store,
      deviceId: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
      logger: log.logger,
    });
    const result = await annotations.save({ action: 'delete', annotationId });
    if (!result.ok) throw new Error(result.error.message);
  };
  const counts = async (service: BriefingsService) =>
    (await service.page(0)).items.map((item) => [item.title, item.annotationCount]);

  beforeEach(async () => {
    dir = await tempDir('summary-index');
    log = memoryLogger();
  });
  afterEach(async () => {
    await closeAll();
    await dir.remove();
  });

  it('answers the list in pages, newest first, with the total', async () => {
    await seedLocalBriefings(
      dir.path,
      USER,
      Array.from({ length: 120 }, (_, i) => numbered(i + 1)),
      keychain,
    );
    const { service } = await openService();
    const pages = [await service.page(0), await service.page(50), await service.page(100)];
    expect(pages.map((page) => page.items.length)).toEqual([50, 50, 20]);
    expect(pages.every((page) => page.total === 120)).toBe(true);
    expect(pages.flatMap((page) => page.items.map((item) => item.id))).toEqual(idsNewestFirst(120));
    expect(pages[0]?.items[0]).toMatchObject({ title: 'Briefing 120', read: false });
  });

  it('after a restart, answers the first page without reading any briefing document', async () => {
    await seedLocalBriefings(
      dir.path,
      USER,
      Array.from({ length: 80 }, (_, i) => numbered(i + 1)),
      keychain,
    );
    const first = await openService();
    expect((await first.service.page(0)).total).toBe(80);
    await closeAll();

    let documentsRead = 0;
    const { service } = await openService((store) => ({
      ...store,
      listBriefingDocs: () => Promise.reject(new Error('the list must not read every document')),
      getBriefingDoc: () => Promise.reject(new Error('the list must not read a document')),
      briefingChangesSince: async (since, limit) => {
        const page = await store.briefingChangesSince(since, limit);
        documentsRead += page.results.length;
        return page;
      },
    }));
    const page = await service.page(0);
    expect(page.items.map((item) => item.id)).toEqual(idsNewestFirst(80).slice(0, 50));
    expect(documentsRead).toBe(0);
  });

  it('marks read and opens a briefing without reading every read receipt', async () => {
    await seedLocalBriefings(dir.path, USER, [numbered(1), numbered(2)], keychain);
    // The index is built once (a store of the previous release: every receipt read, once).
    await (await openService()).service.page(0);
    await closeAll();
    const { service } = await openService((store) => ({
      ...store,
      listReturnDocs: () => Promise.reject(new Error('every receipt read')),
    }));
    expect(await service.markRead(numbered(1)._id)).toBe('marked');
    expect(await service.markRead(numbered(1)._id)).toBe('already-read');
    expect((await service.get(numbered(1)._id))?.read).toBe(true);
    expect((await service.page(0)).items.map((item) => [item.id, item.read])).toEqual([
      [numbered(2)._id, false],
      [numbered(1)._id, true],
    ]);
  });

  it('follows the store: new, updated and removed briefings, and a newer version is unread again', async () => {
    await seedLocalBriefings(dir.path, USER, [numbered(1), numbered(2)], keychain);
    const { store, service } = await openService();
    await service.markRead(numbered(2)._id);
    expect((await service.page(0)).total).toBe(2);

    const replicated = (doc: { _id: string }, rev: string): ReplicatedDoc => ({
      ...doc,
      _rev: rev,
      _revisions: { start: 1, ids: [rev.slice(2)] },
    });
    await store.pullTarget.writeReplicated([replicated(numbered(3), '1-aaa')]);
    const current = await store.getBriefingDoc(numbered(2)._id);
    const revised: ReplicatedDoc = {
      ...numbered(2),
      title: 'Briefing 2, revised',
      sourceVersion: 2,
      _rev: '2-bbb',
      _revisions: { start: 2, ids: ['bbb', String(current?._rev).slice(2)] },
    };
    await store.pullTarget.writeReplicated([revised]);
    await store.removeBriefings([numbered(1)._id]);

    const page = await service.page(0);
    expect(page.total).toBe(2);
    expect(page.items.map((item) => [item.id, item.title, item.read])).toEqual([
      [numbered(3)._id, 'Briefing 3', false],
      [numbered(2)._id, 'Briefing 2, revised', false],
    ]);
    expect(await service.summaries([numbered(1)._id, numbered(3)._id])).toMatchObject({
      items: [{ id: numbered(3)._id }],
      total: 2,
      unread: 2,
    });
  });

  it('is kept sealed beside the store and rebuilt when its file is damaged or missing', async () => {
    await seedLocalBriefings(
      dir.path,
      USER,
      Array.from({ length: 60 }, (_, i) => numbered(i + 1)),
      keychain,
    );
    const first = await openService();
    await first.service.markRead(numbered(60)._id);
    const path = summaryIndexPath(first.store.location);
    await closeAll();

    const sealed = await readFile(path);
    expect(sealed.includes(Buffer.from('Briefing 60'))).toBe(false);
    const damaged = new Uint8Array(sealed);
    damaged[damaged.length - 20] = (damaged[damaged.length - 20] ?? 0) ^ 0xff;
    await writeFile(path, damaged);

    const second = await openService();
    const page = await second.service.page(0);
    expect(page.items.map((item) => item.id)).toEqual(idsNewestFirst(60).slice(0, 50));
    expect(page.items[0]?.read).toBe(true);
    expect(log.records.some((r) => r.message.includes('summary index cannot be read'))).toBe(true);
    await closeAll();
    // Rebuilt and saved again: it opens now.
    expect((await readFile(path)).equals(sealed)).toBe(false);
    const third = await openService();
    expect((await third.service.page(0)).total).toBe(60);
  });

  it('builds itself on a store written by the previous release, with its read receipts', async () => {
    // What the previous release left: the two encrypted databases and no index file. More
    // briefings than one read of the changes feed brings (500).
    await seedLocalBriefings(
      dir.path,
      USER,
      [
        ...Array.from({ length: 600 }, (_, i) => numbered(i + 1)),
        { _id: 'briefing:broken', type: 'briefing', title: 'no schema version' },
        { _id: '_design/guard', validate_doc_update: 'function () {}' },
      ],
      keychain,
    );
    const returns = await openLocalDb(dir.path, USER, keychain, 'returns');
    await returns.put({
      _id: 'read-receipt:previous',
      type: 'read-receipt',
      briefingId: numbered(600)._id,
      sorId: numbered(600).sorId,
      sourceVersion: 1,
      readAt: '2025-03-02T00:00:00.000Z',
      author: USER,
    });
    await returns.close();

    const { store, service } = await openService();
    const path = summaryIndexPath(store.location);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    // The first answer comes from the first part read; the rest follows in the background.
    const first = await eventually(async () => {
      const page = await service.page(0);
      expect(page.total).toBe(600);
      return page;
    });
    expect(first.unread).toBe(599);
    expect(first.items.map((item) => item.id)).toEqual(idsNewestFirst(600).slice(0, 50));
    expect(first.items.map((item) => item.read)).toEqual([
      true,
      ...Array.from({ length: 49 }, () => false),
    ]);
    expect((await service.page(550)).items.map((item) => item.id)).toEqual(
      idsNewestFirst(600).slice(550),
    );
    expect(await service.get(briefingDocId('BRF-0600'))).toMatchObject({ read: true });
    await service.close();
    expect((await stat(path)).size).toBeGreaterThan(0);
  });

  it('on a store of the previous release, answers the first page after reading one part, and the rest comes in the background, announced', async () => {
    await seedLocalBriefings(
      dir.path,
      USER,
      Array.from({ length: 1_000 }, (_, i) => numbered(i + 1)),
      keychain,
    );
    let documentsRead = 0;
    const announced = new Set<string>();
    const { service } = await openService(
      (store) => ({
        ...store,
        listBriefingDocs: () =>
          Promise.reject(new Error('the first page waited for every document')),
        getBriefingDocs: async (ids) => {
          const docs = await store.getBriefingDocs(ids);
          documentsRead += docs.length;
          return docs;
        },
      }),
      (ids) => ids.forEach((id) => announced.add(id)),
    );

    const first = await service.page(0);
    expect(documentsRead).toBeLessThanOrEqual(200);
    expect(first.items).toHaveLength(50);
    expect(first.total).toBeLessThan(1_000);
    const shownFirst = new Set((await service.page(0, 500)).items.map((item) => item.id));

    // Then the whole list, newest first, and every briefing not in the first answer announced.
    await eventually(async () => expect((await service.page(0)).total).toBe(1_000));
    const whole = await service.list();
    expect(whole.map((item) => item.id)).toEqual(idsNewestFirst(1_000));
    expect(whole.filter((item) => !shownFirst.has(item.id) && !announced.has(item.id))).toEqual([]);
    expect(documentsRead).toBe(1_000);
  });

  it('is not saved until a rebuild has finished, so a start cut short builds it whole again', async () => {
    await seedLocalBriefings(
      dir.path,
      USER,
      Array.from({ length: 700 }, (_, i) => numbered(i + 1)),
      keychain,
    );
    // The second part's read waits until the service is closing: the start is cut short.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const first = await openService((store) => ({
      ...store,
      getBriefingDocs: async (ids) => {
        reads += 1;
        if (reads > 1) await held;
        return store.getBriefingDocs(ids);
      },
    }));
    expect((await first.service.page(0)).total).toBeLessThan(700);
    // A change the index catches up with while it is being built (a receipt from the server).
    await first.store.createReturnDoc('read-receipt:restored', {
      type: 'read-receipt',
      briefingId: numbered(700)._id,
      sorId: numbered(700).sorId,
      sourceVersion: 1,
      readAt: '2025-03-02T00:00:00.000Z',
      author: USER,
    });
    const answered = first.service.page(0);
    const path = summaryIndexPath(first.store.location);
    const closing = closeAll();
    release();
    await Promise.all([answered, closing]);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });

    const { service } = await openService();
    await eventually(async () => expect((await service.page(0)).total).toBe(700));
    const whole = await service.list();
    expect(whole.map((item) => item.id)).toEqual(idsNewestFirst(700));
    expect(whole[0]?.read).toBe(true);
  });

  it('tells the reader which briefings a returns document concerns, never an empty change', async () => {
    await seedLocalBriefings(dir.path, USER, [numbered(1), numbered(2)], keychain);
    const changes: (readonly string[])[] = [];
    const { store, service } = await openService(undefined, (ids) => changes.push(ids));
    await service.page(0);

    // A receipt written by another device, as the restore of the returns brings it.
    await store.createReturnDoc('read-receipt:other-device', {
      type: 'read-receipt',
      briefingId: numbered(2)._id,
      sorId: numbered(2).sorId,
      sourceVersion: 1,
      readAt: '2025-03-02T00:00:00.000Z',
      author: USER,
    });
    await eventually(() => expect(changes).toContainEqual([numbered(2)._id]));
    expect(changes.every((ids) => ids.length > 0)).toBe(true);
    expect((await service.summaries([numbered(2)._id])).items[0]?.read).toBe(true);
  });

  it('during a sync, answers after one page of what the store took in, and announces the rest as it catches up', async () => {
    const announced = new Set<string>();
    let changesRead = 0;
    let answered = false;
    let readBeforeAnswer = 0;
    const { store, service } = await openService(
      (store) => ({
        ...store,
        briefingChangesSince: async (since, limit) => {
          const page = await store.briefingChangesSince(since, limit);
          changesRead += page.results.length;
          return page;
        },
        // Not told what the pull writes (as for a write with a conflict): it reads the feed.
        onBriefingsWritten: () => () => undefined,
      }),
      (ids) => ids.forEach((id) => announced.add(id)),
    );
    expect((await service.page(0)).total).toBe(0);
    // What a first sync writes while the reader is open, before the reader asks again.
    const replicated = (n: number): ReplicatedDoc => ({
      ...numbered(n),
      _rev: '1-abc',
      _revisions: { start: 1, ids: ['abc'] },
    });
    await store.pullTarget.writeReplicated(
      Array.from({ length: 1_200 }, (_, i) => replicated(i + 1)),
    );
    // As the reader asks: the summaries of the briefings the store's changes named.
    const first = await service.summaries(idsNewestFirst(1_200)).then((page) => {
      answered = true;
      readBeforeAnswer = changesRead;
      return page;
    });
    expect(answered).toBe(true);
    expect(readBeforeAnswer).toBeLessThanOrEqual(500);
    expect(first.total).toBeLessThan(1_200);
    const inFirst = new Set(first.items.map((item) => item.id));

    await eventually(async () => expect((await service.page(0)).total).toBe(1_200));
    expect((await service.list()).map((item) => item.id)).toEqual(idsNewestFirst(1_200));
    expect(idsNewestFirst(1_200).filter((id) => !inFirst.has(id) && !announced.has(id))).toEqual(
      [],
    );
  });

  it('takes what the pull writes as it is written, reading none of it back from the store', async () => {
    let changesRead = 0;
    const { store, service } = await openService((store) => ({
      ...store,
      briefingChangesSince: async (since, limit) => {
        const page = await store.briefingChangesSince(since, limit);
        changesRead += page.results.length;
        return page;
      },
    }));
    expect((await service.page(0)).total).toBe(0);
    const replicated = (n: number, rev = '1-abc', title?: string): ReplicatedDoc => ({
      ...numbered(n),
      ...(title ? { title } : {}),
      _rev: rev,
      _revisions: {
        start: Number(rev.split('-')[0]),
        ids: rev === '1-abc' ? ['abc'] : ['def', 'abc'],
      },
    });
    for (let at = 0; at < 1_200; at += 50) {
      await store.pullTarget.writeReplicated(
        Array.from({ length: 50 }, (_, i) => replicated(at + i + 1)),
      );
    }
    const all = await service.summaries(idsNewestFirst(1_200));
    expect(all.total).toBe(1_200);
    expect((await service.list()).map((item) => item.id)).toEqual(idsNewestFirst(1_200));
    // Written side by side, as the pull's requests in flight end together, with a removal and,
    // first, a write the index is not told of: it brings a revision that loses a conflict.
    await Promise.all([
      store.pullTarget.writeReplicated([
        { ...replicated(5), _rev: '1-aaa', _revisions: { start: 1, ids: ['aaa'] } },
        ...Array.from({ length: 10 }, (_, i) => replicated(4_000 + i)),
      ]),
      ...Array.from({ length: 20 }, (_, k) =>
        store.pullTarget.writeReplicated(
          Array.from({ length: 10 }, (_, i) => replicated(2_000 + k * 10 + i)),
        ),
      ),
      store.removeBriefings([numbered(1_100)._id]),
      ...Array.from({ length: 20 }, (_, k) =>
        store.pullTarget.writeReplicated(
          Array.from({ length: 10 }, (_, i) => replicated(3_000 + k * 10 + i)),
        ),
      ),
    ]);
    const held = new Set((await store.listBriefingDocs()).map((doc) => doc._id));
    expect(held.size).toBe(1_609);
    expect(new Set((await service.page(0, 5_000)).items.map((item) => item.id))).toEqual(held);
    changesRead = 0;
    // Shared again, updated, unshared: the same way.
    await store.pullTarget.writeReplicated([replicated(1_100, '2-def')]);
    await store.pullTarget.writeReplicated([replicated(7, '2-def', 'Revised title')]);
    await store.pullTarget.writeReplicated([
      {
        _id: numbered(8)._id,
        _rev: '2-ded',
        _deleted: true,
        _revisions: { start: 2, ids: ['ded', 'abc'] },
      },
    ]);
    const page = await service.summaries([numbered(7)._id, numbered(8)._id]);
    expect(page.items.map((item) => [item.id, item.title])).toEqual([
      [numbered(7)._id, 'Revised title'],
    ]);
    expect(page.total).toBe(1_609);
    expect((await service.summaries([numbered(1_100)._id])).items).toHaveLength(1);
    expect(changesRead).toBe(0);
    // A write it is not told of (here, one of removeBriefings) is read from the feed, and the
    // pull's writes after it too, until the index stands where a write begins again.
    expect(await store.removeBriefings([numbered(9)._id])).toBe(1);
    await store.pullTarget.writeReplicated([replicated(1_201)]);
    const after = await service.page(0, 5_000);
    expect(after.total).toBe(1_609);
    expect(after.items.some((item) => item.id === numbered(9)._id)).toBe(false);
    expect(after.items.some((item) => item.id === numbered(1_201)._id)).toBe(true);
    expect(changesRead).toBe(2);
  });

  it("counts the reader's live marks on each briefing, following creates and deletes, without reading an event per page", async () => {
    await seedLocalBriefings(dir.path, USER, [numbered(1), numbered(2), numbered(3)], keychain);
    const first = await openService();
    expect(await counts(first.service)).toEqual([
      ['Briefing 3', 0],
      ['Briefing 2', 0],
      ['Briefing 1', 0],
    ]);
    const fiscal = await annotate(first.store, 1, 'fiscal');
    await annotate(first.store, 1, 'outlook');
    await annotate(first.store, 3, 'revenue');
    expect(await counts(first.service)).toEqual([
      ['Briefing 3', 1],
      ['Briefing 2', 0],
      ['Briefing 1', 2],
    ]);
    await unannotate(first.store, fiscal);
    expect((await first.service.summaries([numbered(1)._id])).items).toMatchObject([
      { annotationCount: 1 },
    ]);
    expect(await first.service.get(numbered(1)._id)).toMatchObject({ annotationCount: 1 });
    await closeAll();

    // After a restart the counts come from the saved index: no event is read for a page.
    const { service } = await openService((store) => ({
      ...store,
      listReturnDocs: () => Promise.reject(new Error('a page must not read every event')),
    }));
    expect(await counts(service)).toEqual([
      ['Briefing 3', 1],
      ['Briefing 2', 0],
      ['Briefing 1', 1],
    ]);
  });

  it('opens an index saved in the previous format (no marks): keeps its briefings and adds the marks from the returns', async () => {
    await seedLocalBriefings(dir.path, USER, [numbered(1), numbered(2)], keychain);
    const first = await openService();
    await first.service.markRead(numbered(2)._id);
    await annotate(first.store, 1, 'fiscal');
    await first.service.page(0);
    await closeAll();

    // What the previous release saved: format 1, the same fields without the annotation marks.
    const { store: plain } = await openService();
    const current = (await plain.summaryIndexFile.read()) as Record<string, unknown>;
    expect(current).toMatchObject({ format: 2, annotationMarks: [expect.any(Object)] });
    const { annotationMarks, ...previous } = current;
    void annotationMarks;
    await plain.summaryIndexFile.write({ ...previous, format: 1 });
    await closeAll();

    const { service } = await openService((store) => ({
      ...store,
      listBriefingDocs: () => Promise.reject(new Error('a migration keeps the saved briefings')),
    }));
    const page = await service.page(0);
    expect(page.items.map((item) => [item.title, item.read, item.annotationCount])).toEqual([
      ['Briefing 2', true, 0],
      ['Briefing 1', false, 1],
    ]);
    expect(log.records.some((r) => r.message.includes('adding annotation marks'))).toBe(true);
    await closeAll();
    // Saved again in the current format.
    const { store: reopened } = await openService();
    expect(await reopened.summaryIndexFile.read()).toMatchObject({ format: 2 });
  });
});
