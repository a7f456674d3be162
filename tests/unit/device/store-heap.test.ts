// The store must not keep what it answered: a reader lists its briefings on every change, so
// anything a list leaves reachable grows the heap for as long as the store is open.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createBriefingsService } from '../../../src/main/briefings/briefings-service.js';
import { createIntegrityGuard } from '../../../src/main/storage/integrity-guard.js';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import { StoreIntegrityError } from '../../../src/main/storage/types.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import { briefing, memoryLogger, seedLocalBriefings, tempDir } from './fixtures.js';

// The same switch as node --expose-gc, turned on for this file's process: a heap figure is only
// meaningful after a full collection.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i += 1) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

const MB = 1024 * 1024;

describe('the store keeps nothing of what it answered', () => {
  it('still fails a request that is pending when the store fails, and every later one', async () => {
    const guard = createIntegrityGuard(() => undefined);
    let answer: (value: string) => void = () => undefined;
    const pending = guard.run(() => new Promise<string>((resolve) => (answer = resolve)));
    const failure = new StoreIntegrityError('briefings', 'failed authentication');
    guard.report(failure);
    await expect(pending).rejects.toBe(failure);
    answer('too late');
    await expect(guard.run(() => Promise.resolve('later'))).rejects.toBe(failure);
  });

  it('does not grow the heap over many list calls', async () => {
    const dir = await tempDir('heap');
    const keychain = createInMemoryKeychainTestDouble();
    const { logger } = memoryLogger();
    try {
      // 40 briefings of about 25 KB: each list answers about 1 MB of documents.
      const body = `<p>${'Budget estimates for the coming year. '.repeat(650)}</p>`;
      await seedLocalBriefings(
        dir.path,
        'alex.morgan',
        Array.from({ length: 40 }, (_, i) => briefing(`b${i}`, { bodyHtml: body })),
        keychain,
      );
      const store = await openUserStore({
        dataDir: dir.path,
        userId: 'alex.morgan',
        keychain,
        logger,
      });
      try {
        // Warm up caches (LevelDB blocks, compiled code) before the first figure.
        for (let i = 0; i < 5; i += 1) await store.listBriefingDocs();
        const before = await heapAfterGc();
        for (let i = 0; i < 100; i += 1) {
          expect(await store.listBriefingDocs()).toHaveLength(40);
        }
        const grown = (await heapAfterGc()) - before;
        // Kept answers would be about 100 MB; what is left is noise.
        expect(grown).toBeLessThan(15 * MB);
      } finally {
        await store.close();
      }
    } finally {
      await dir.remove();
    }
  }, 60_000);

  it('does not grow the heap over many list calls of the briefings service', async () => {
    const dir = await tempDir('heap-service');
    const keychain = createInMemoryKeychainTestDouble();
    const { logger } = memoryLogger();
    try {
      // 2,000 briefings: each page of 50 comes from the summary index of all of them.
      const body = `<p>${'Budget estimates for the coming year. '.repeat(100)}</p>`;
      await seedLocalBriefings(
        dir.path,
        'alex.morgan',
        Array.from({ length: 2_000 }, (_, i) => briefing(`b${i}`, { bodyHtml: body })),
        keychain,
      );
      const store = await openUserStore({
        dataDir: dir.path,
        userId: 'alex.morgan',
        keychain,
        logger,
      });
      const service = createBriefingsService({ store, logger });
      try {
        for (let i = 0; i < 5; i += 1) await service.page(i * 50);
        const before = await heapAfterGc();
        for (let i = 0; i < 1_000; i += 1) {
          expect((await service.page((i % 40) * 50)).items).toHaveLength(50);
        }
        const grown = (await heapAfterGc()) - before;
        // The pages answered, if kept, would be about 7 MB; every summary of each call far more.
        expect(grown).toBeLessThan(2 * MB);
      } finally {
        await service.close();
        await store.close();
      }
    } finally {
      await dir.remove();
    }
  }, 60_000);
});
