import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import PouchDB from 'pouchdb-node';
import { describe, expect, it } from 'vitest';
import { openUserStore, userStorePaths } from '../../../src/main/storage/store.pouch.js';
import { briefing, memoryLogger, seedLocalBriefings, tempDir } from './fixtures.js';

const USER = 'alex.morgan';
const PHRASE = 'Operation Quiet Lantern';

async function filesContaining(folder: string, phrase: string): Promise<string[]> {
  const hits: string[] = [];
  for (const name of await readdir(folder)) {
    let content: Buffer;
    try {
      content = await readFile(join(folder, name));
    } catch (error) {
      // LevelDB may retire a file (old manifest or log) between readdir and read.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if (content.includes(phrase)) hits.push(name);
  }
  return hits;
}

describe('purging unshared briefings from disk', () => {
  it('removes a deleted briefing and its attachment from the raw LevelDB files, keeping the rest', async () => {
    const dir = await tempDir('purge');
    const { logger } = memoryLogger();
    try {
      await seedLocalBriefings(dir.path, USER, [
        {
          ...briefing('secret', { bodyHtml: `<p>${PHRASE} begins at dawn.</p>` }),
          _attachments: {
            'plan.txt': {
              content_type: 'text/plain',
              data: Buffer.from(`${PHRASE} annex`).toString('base64'),
            },
          },
        },
        briefing('kept', { bodyHtml: '<p>Budget estimates</p>' }),
      ]);
      // The unshare arrives as a deletion, as replication writes it.
      const paths = userStorePaths(dir.path, USER);
      const db = new PouchDB(paths.briefings);
      await db.remove(await db.get('briefing:secret'));
      await db.close();
      expect(await filesContaining(paths.briefings, PHRASE)).not.toEqual([]);

      const store = await openUserStore({ dataDir: dir.path, userId: USER, logger });
      await store.purgeDeleted();

      // The store is usable afterwards and still holds the other briefing.
      expect((await store.listBriefingDocs()).map((doc) => doc._id)).toEqual(['briefing:kept']);
      expect(await store.getBriefingDoc('briefing:secret')).toBeNull();
      expect(await filesContaining(paths.briefings, PHRASE)).toEqual([]);
      await store.close();
      expect(await filesContaining(paths.briefings, PHRASE)).toEqual([]);
      expect(await filesContaining(paths.briefings, 'Budget estimates')).not.toEqual([]);
    } finally {
      await dir.remove();
    }
  });

  it('keeps the sync state and readers working across a purge', async () => {
    const dir = await tempDir('purge-state');
    const { logger } = memoryLogger();
    try {
      await seedLocalBriefings(dir.path, USER, [briefing('a'), briefing('b')]);
      const store = await openUserStore({ dataDir: dir.path, userId: USER, logger });
      await store.writeSyncState({ lastSyncedAt: '2025-02-02T00:00:00.000Z', pushedSeq: 3 });
      const changes: string[] = [];
      store.onBriefingsChange((batch) => changes.push(...batch.map((c) => c.id)));
      const reads = Promise.all([
        store.listBriefingDocs(),
        store.purgeDeleted(),
        store.listBriefingDocs(),
      ]);
      const [before, , after] = await reads;
      expect(before).toHaveLength(2);
      expect(after).toHaveLength(2);
      expect(await store.readSyncState()).toEqual({
        lastSyncedAt: '2025-02-02T00:00:00.000Z',
        pushedSeq: 3,
      });
      await store.close();
    } finally {
      await dir.remove();
    }
  });
});
