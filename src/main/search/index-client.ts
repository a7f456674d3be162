// The SearchIndex port over the index's own thread (index-worker.ts). Opening it proves the
// key: an index that does not open with it, or is damaged, is derived data, so it is deleted
// and started afresh (the search service then fills it from the store).
import type { Logger } from '../logging/logger.js';
import type { BriefingSource, IndexAnswer, IndexQuery, SearchIndex } from './types.js';
import { SEARCH_ERROR_CODES, SearchIndexError } from './types.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ThreadCallError, ThreadGoneError } from '../threads/channel.js';
import { startWorker } from '../threads/workers.js';

export type OpenedSearchIndex = {
  readonly index: SearchIndex;
  /** The index was unreadable and started empty. */
  readonly rebuilt: boolean;
  /** Called when the index's thread ends on its own. */
  readonly onStopped: (listener: () => void) => void;
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
  const stoppedListeners: (() => void)[] = [];
  worker.onExit(() => {
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

  let sentReadVersions: ReadonlyMap<string, number> | null = null;
  const index: SearchIndex = {
    upsert: (sources: readonly BriefingSource[]) => call('upsert', sources),
    remove: (ids) => call('remove', ids),
    setNotes: (id, text) => call('setNotes', { id, text }),
    revisions: async () => new Map(await call<[string, string][]>('revisions')),
    attachmentKeys: async (ids) => new Map(await call<[string, string][]>('attachmentKeys', ids)),
    query: (query: IndexQuery) => {
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
    tidy: () => call('tidy'),
    close: async () => {
      if (closing) return;
      closing = true;
      try {
        await worker.channel.call('close');
      } finally {
        await worker.terminate();
      }
    },
  };
  return { index, rebuilt, onStopped: (listener) => stoppedListeners.push(listener) };
}
