import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { briefingDocId } from '../../../src/shared/briefing.js';
import type { BriefingsService } from '../../../src/main/briefings/briefings-service.js';
import { createBriefingsService } from '../../../src/main/briefings/briefings-service.js';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import type { UserStore } from '../../../src/main/storage/types.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import { briefing, memoryLogger, openLocalDb, seedLocalBriefings, tempDir } from './fixtures.js';

const USER = 'casey.nguyen@example.gov';
// The store's key lives in the keychain; the real one is proven in tests/integration/device.
const keychain = createInMemoryKeychainTestDouble();

describe('briefings service on a real local store', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: UserStore;
  let service: BriefingsService;
  let log: ReturnType<typeof memoryLogger>;
  const changed: string[][] = [];

  beforeEach(async () => {
    dir = await tempDir('briefings');
    await seedLocalBriefings(
      dir.path,
      USER,
      [
        briefing('old', { approvedAt: '2025-03-01T09:00:00.000Z', title: 'Oldest' }),
        briefing('new', {
          approvedAt: '2025-03-03T09:00:00.000Z',
          title: 'Newest',
          priority: 'urgent',
        }),
        {
          ...briefing('mid', {
            approvedAt: '2025-03-02T09:00:00.000Z',
            classification: 'PROTECTED',
            attachments: [{ name: 'annex.pdf', contentType: 'application/pdf', size: 4 }],
          }),
          _attachments: {
            'annex.pdf': {
              content_type: 'application/pdf',
              data: Buffer.from('%PDF').toString('base64'),
            },
            'undeclared.txt': {
              content_type: 'text/plain',
              data: Buffer.from('hidden').toString('base64'),
            },
          },
        },
        { _id: 'briefing:broken', type: 'briefing', title: 'no schema version' },
        { _id: '_design/guard', validate_doc_update: 'function () {}' },
      ],
      keychain,
    );
    log = memoryLogger();
    store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger: log.logger });
    changed.length = 0;
    service = createBriefingsService({
      store,
      logger: log.logger,
      now: () => new Date('2025-03-04T10:00:00.000Z'),
      onChanged: (ids) => changed.push([...ids]),
    });
  });

  afterEach(async () => {
    await store.close();
    await dir.remove();
  });

  it('lists briefings newest approval first and skips documents that fail the schema', async () => {
    const list = await service.list();
    expect(list.map((b) => b.title)).toEqual(['Newest', 'Briefing mid', 'Oldest']);
    expect(list.every((b) => !b.read)).toBe(true);
    expect(list[1]).toMatchObject({
      classification: 'PROTECTED',
      attachmentCount: 1,
      senderName: 'Jordan Lee',
    });
    const warning = log.records.find((r) => r.message.includes('does not match the schema'));
    expect(warning?.fields).toMatchObject({ id: 'briefing:broken' });
  });

  it('marks a briefing read through a read receipt in the returns database', async () => {
    const id = briefingDocId('mid');
    expect(await service.markRead(id)).toBe('marked');
    expect(changed).toEqual([[id]]);

    const list = await service.list();
    expect(list.find((b) => b.id === id)?.read).toBe(true);
    expect(list.filter((b) => b.read)).toHaveLength(1);

    const returns = await store.listReturnDocs();
    expect(returns).toHaveLength(1);
    expect(returns[0]).toMatchObject({
      type: 'read-receipt',
      briefingId: id,
      sorId: 'mid',
      sourceVersion: 1,
      readAt: '2025-03-04T10:00:00.000Z',
      author: USER,
    });
    // The id is plaintext on disk (LevelDB keys are not encrypted): it names no briefing or time.
    expect(returns[0]?._id).toMatch(/^read-receipt:[0-9a-f-]{36}$/);
  });

  it('keeps one receipt per version when the reader opens a briefing twice', async () => {
    const id = briefingDocId('new');
    expect(await service.markRead(id)).toBe('marked');
    expect(await service.markRead(id)).toBe('already-read');
    expect(await store.listReturnDocs()).toHaveLength(1);
  });

  it('survives a restart: read state comes back from the local returns database', async () => {
    await service.markRead(briefingDocId('old'));
    await store.close();
    store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger: log.logger });
    service = createBriefingsService({ store, logger: log.logger });
    const list = await service.list();
    expect(list.find((b) => b.id === briefingDocId('old'))?.read).toBe(true);
  });

  it('answers a missing briefing with a value, not an error: null, and not-found to mark it read', async () => {
    expect(await service.get('briefing:nope')).toBeNull();
    expect(await service.get('_design/guard')).toBeNull();
    expect(await service.markRead('briefing:nope')).toBe('not-found');
    expect(await store.listReturnDocs()).toHaveLength(0);
  });

  it('opens a briefing with its body and attachment list', async () => {
    const detail = await service.get(briefingDocId('mid'));
    expect(detail).toMatchObject({
      bodyHtml: '<p>Body of mid</p>',
      senderRole: 'Chief of Staff',
      sourceVersion: 1,
      attachments: [{ name: 'annex.pdf', contentType: 'application/pdf', size: 4 }],
    });
  });

  it('serves only attachments the briefing declares, as base64', async () => {
    const id = briefingDocId('mid');
    expect(await service.attachment(id, 'annex.pdf')).toEqual({
      name: 'annex.pdf',
      contentType: 'application/pdf',
      base64: Buffer.from('%PDF').toString('base64'),
    });
    expect(await service.attachment(id, 'undeclared.txt')).toBeNull();
    expect(await service.attachment(id, 'missing.pdf')).toBeNull();
  });
});

describe('read state across briefing versions', () => {
  it('shows a briefing unread again when a newer version is approved after it was read', async () => {
    const dir = await tempDir('versions');
    const { logger } = memoryLogger();
    try {
      await seedLocalBriefings(dir.path, USER, [briefing('v', { sourceVersion: 1 })], keychain);
      let store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });
      await createBriefingsService({ store, logger }).markRead(briefingDocId('v'));
      const [before] = await createBriefingsService({ store, logger }).list();
      expect(before?.read).toBe(true);
      await store.close();

      // The fan-out overwrites the same document id with version 2 (as replication would).
      const db = await openLocalDb(dir.path, USER, keychain, 'briefings');
      const current = await db.get(briefingDocId('v'));
      await db.put({ ...briefing('v', { sourceVersion: 2 }), _rev: current._rev });
      await db.close();

      store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });
      const [after] = await createBriefingsService({ store, logger }).list();
      expect(after?.read).toBe(false);
      await store.close();
    } finally {
      await dir.remove();
    }
  });
});
