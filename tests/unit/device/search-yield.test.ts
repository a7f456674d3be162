// Indexing gives way to the sync: while the workspace's busy signal is on (a sync writing), what
// waits to be indexed waits, except one batch per hold; once it is off, everything is indexed.
// A real encrypted store and the real index in its worker thread.
import { afterEach, describe, expect, it } from 'vitest';
import type { SearchService } from '../../../src/main/search/search-service.js';
import { createBusySignal, createSearchService } from '../../../src/main/search/search-service.js';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import type { UserStore } from '../../../src/main/storage/types.js';
import { eventually } from '../../support/eventually.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import { briefing, memoryLogger, seedLocalBriefings, tempDir } from './fixtures.js';

const USER = 'alex.morgan@example.gov';
const COUNT = 60; // more than two of the service's batches of 25
const WORD = 'cormorant';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function seeded(): Promise<UserStore> {
  const dir = await tempDir('search-yield');
  cleanups.push(dir.remove);
  const keychain = createInMemoryKeychainTestDouble();
  const docs = Array.from({ length: COUNT }, (_, i) =>
    briefing(`BRF-${i}`, { bodyHtml: `<p>The ${WORD} count for site ${i}.</p>` }),
  );
  await seedLocalBriefings(dir.path, USER, docs, keychain);
  const { logger } = memoryLogger();
  const store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });
  cleanups.push(() => store.close());
  return store;
}

function open(store: UserStore, holdMaxMs: number) {
  const syncing = createBusySignal();
  syncing.set(true);
  const { logger } = memoryLogger();
  const search = createSearchService({ store, logger, yieldTo: syncing.signal, holdMaxMs });
  cleanups.push(() => search.close());
  return { syncing, search };
}

const found = async (search: SearchService): Promise<number> =>
  (await search.query({ text: WORD, limit: 100 })).total;

describe('search indexing gives way to the sync', () => {
  it('indexes nothing while the sync is busy, then everything once it is done', async () => {
    const { syncing, search } = open(await seeded(), 60_000);
    // The index has caught up with the store (all of it waits) and been asked once.
    await eventually(() => expect(search.pending()).toBe(COUNT));
    expect(await found(search)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(search.pending()).toBe(COUNT);
    expect(await found(search)).toBe(0);

    syncing.set(false);
    await search.idle();
    expect(search.pending()).toBe(0);
    expect(await found(search)).toBe(COUNT);
  });

  it('lets one batch through per hold when the sync stays busy, so search never stops', async () => {
    const { search } = open(await seeded(), 400);
    await eventually(() => expect(search.pending()).toBe(COUNT));
    await eventually(() => expect(search.pending()).toBeLessThan(COUNT));
    // A batch at a time: never everything at once.
    expect([COUNT - 25, COUNT - 50]).toContain(search.pending());
    await search.idle();
    expect(await found(search)).toBe(COUNT);
  });
});
