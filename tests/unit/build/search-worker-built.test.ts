// The built product's search index worker (out/main/index-worker.js, from `npm run build`) loads
// better-sqlite3-multiple-ciphers and answers: the browser host and the Electron main process
// start that file as a worker thread, so a bundling or packaging mistake shows here first.
// Skipped, with the reason, before a build. Also: what the worker loads before it can answer
// (the first query after the app starts waits for it) is SQLite and nothing else.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { openChannel } from '../../../src/main/threads/channel.js';
import { tempDir } from '../device/fixtures.js';

const BUILT = resolve(import.meta.dirname, '../../../out/main/index-worker.js');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!existsSync(BUILT))('the built search index worker (out/main)', () => {
  it('opens an encrypted index and answers a query', async () => {
    const worker = new Worker(BUILT);
    cleanups.push(() => worker.terminate());
    const dir = await tempDir('built-worker');
    cleanups.push(dir.remove);
    // Over the channel the product speaks to it (threads/channel.ts).
    const channel = openChannel(worker, {});
    const call = (method: string, args?: unknown): Promise<unknown> => channel.call(method, args);

    await call('open', { path: join(dir.path, 'index.db'), key: randomBytes(32), fresh: false });
    await call('upsert', [
      {
        id: 'a',
        rev: '1-a',
        title: 'Cobalt review',
        summary: '',
        senderName: 'Jordan Lee',
        senderRole: 'Chief of Staff',
        bodyHtml: '<p>Lithium exports fell.</p>',
        attachments: '',
        attachmentsKey: '',
        classification: 'OFFICIAL',
        priority: 'routine',
        approvedAt: '2025-01-10T09:00:00.000Z',
        sourceVersion: 1,
        attachmentCount: 0,
      },
    ]);
    const answer = (await call('query', {
      query: {
        terms: [{ text: 'lithium', prefix: false }],
        phrases: [],
        filters: {},
        problems: [],
      },
      limit: 5,
    })) as { total: number; hits: { id: string }[] };
    expect(answer.total).toBe(1);
    expect(answer.hits.map((hit) => hit.id)).toEqual(['a']);
    await call('close');
  });

  it('loads no library but SQLite before its first answer (the HTML parser waits for an upsert)', () => {
    // The modules the worker's file imports statically, followed through the build's chunks.
    const libraries = new Set<string>();
    const seen = new Set<string>();
    const follow = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, from] of readFileSync(file, 'utf8').matchAll(
        /^import\s[^'"]*?["']([^'"]+)["']/gm,
      )) {
        if (from === undefined || from.startsWith('node:')) continue;
        if (from.startsWith('.')) follow(resolve(dirname(file), from));
        else libraries.add(from);
      }
    };
    follow(BUILT);
    expect(seen.size).toBeGreaterThan(1);
    expect([...libraries]).toEqual(['better-sqlite3-multiple-ciphers']);
  });
});
