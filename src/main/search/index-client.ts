// The SearchIndex port over the index's own thread (index-worker.ts), which writes the file and
// answers queries while it writes; once writes pause, queries are answered in the calling
// thread by a reading connection of its own (index-reader.sqlite.ts). Opening it proves the
// key: an index that does not open with it, or is damaged, is derived data, so it is deleted
// and started afresh (the search service then fills it from the store).
import type { Logger } from '../logging/logger.js';
import type { BriefingSource, IndexAnswer, IndexQuery, SearchIndex } from './types.js';
import { SEARCH_ERROR_CODES, SearchIndexError } from './types.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ThreadCallError, ThreadGoneError } from '../threads/channel.js';
import { startWorker } from '../threads/workers.js';
import { openIndexReader, type IndexReader } from './index-reader.sqlite.js';

export type OpenedSearchIndex = {
  readonly index: SearchIndex;
  /** The index was unreadable and started empty. */
  readonly rebuilt: boolean;
  /** Called when the index's thread ends on its own. */
  readonly onStopped: (listener: () => void) => void;
  /** Queries answered so far in the calling thread, and by the index's thread. */
  readonly answered: () => { readonly here: number; readonly byIndexThread: number };
  /** Whether the next query would be answered in the calling thread. */
  readonly answersHere: () => boolean;
};

const asIndexError = (error: unknown): unknown => {
  if (error instanceof ThreadGoneError) {
    return new SearchIndexError(
      SEARCH_ERROR_CODES.unavailable,
      'Search stopped unexpectedly; it starts again the next time your briefings open.',
      { cause: error },
    );
  }
  if (error instanceof ThreadCallError && error.code === SEARCH_ERROR_CODES.unreadable) {
    return new SearchIndexError(SEARCH_ERROR_CODES.unreadable, error.message, { cause: error });
  }
  return error;
};

export async function openSearchIndex(options: {
  readonly path: string;
  readonly key: Buffer;
  readonly logger: Logger;
}): Promise<OpenedSearchIndex> {
  const worker = startWorker('index-worker', { here: dirname(fileURLToPath(import.meta.url)) });
  let closing = false;
  let reading: IndexReader | null = null;
  const stoppedListeners: (() => void)[] = [];
  worker.onExit(() => {
    // The index is the thread's: without it, search stops here too until it is reopened.
    reading?.close();
    if (!closing) for (const listener of stoppedListeners) listener();
  });
  const call = async <T>(method: string, args?: unknown): Promise<T> => {
    try {
      return await worker.channel.call<T>(method, args);
    } catch (error) {
      throw asIndexError(error);
    }
  };
  // Each open gets its own copy: the worker zeroes what it was given.
  const keyCopy = (): Uint8Array => Uint8Array.from(options.key);

  let rebuilt = false;
  try {
    await call('open', { path: options.path, key: keyCopy(), fresh: false });
  } catch (error) {
    if (!(error instanceof SearchIndexError && error.code === SEARCH_ERROR_CODES.unreadable)) {
      closing = true;
      await worker.terminate();
      throw error;
    }
    options.logger.warn('the search index could not be read; starting it afresh', {
      code: error.code,
    });
    rebuilt = true;
    await call('open', { path: options.path, key: keyCopy(), fresh: true });
  }

  try {
    reading = openIndexReader({ path: options.path, key: options.key });
  } catch (error) {
    options.logger.warn('search answers from its own thread only: no reading connection', {
      code: (error as { code?: unknown }).code ?? 'unknown',
    });
  }

  let sentReadVersions: ReadonlyMap<string, number> | null = null;
  const answered = { here: 0, byIndexThread: 0 };
  // A query asked after a write is answered after it, as the index's thread takes its calls in
  // turn: while one is under way, queries go there too.
  let writing = 0;
  const write = async <T>(method: string, args?: unknown): Promise<T> => {
    writing++;
    try {
      return await call<T>(method, args);
    } finally {
      writing--;
    }
  };
  const index: SearchIndex = {
    upsert: (sources: readonly BriefingSource[]) => write('upsert', sources),
    remove: (ids) => write('remove', ids),
    setNotes: (id, text) => write('setNotes', { id, text }),
    revisions: async () => new Map(await call<[string, string][]>('revisions')),
    attachmentKeys: async (ids) => new Map(await call<[string, string][]>('attachmentKeys', ids)),
    query: (query: IndexQuery) => {
      const here = writing === 0 ? reading?.query(query) : null;
      if (here) {
        answered.here++;
        return Promise.resolve(here);
      }
      answered.byIndexThread++;
      // What the reader has read goes to the index's thread once per version of it: the search
      // service keeps one map until the reader's returns change, and copying thousands of
      // entries into the thread on every keystroke cost more than the query.
      if (query.readVersions && query.readVersions === sentReadVersions) {
        const { readVersions: _same, ...rest } = query;
        return call<IndexAnswer>('query', { ...rest, sameReadVersions: true });
      }
      if (query.readVersions) sentReadVersions = query.readVersions;
      return call<IndexAnswer>('query', query);
    },
    tidy: () => write('tidy'),
    close: async () => {
      if (closing) return;
      closing = true;
      reading?.close();
      try {
        await worker.channel.call('close');
      } finally {
        await worker.terminate();
      }
    },
  };
  return {
    index,
    rebuilt,
    onStopped: (listener) => stoppedListeners.push(listener),
    answered: () => ({ ...answered }),
    answersHere: () => writing === 0 && reading !== null && reading.current(),
  };
}
