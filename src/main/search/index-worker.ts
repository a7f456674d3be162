// The search index's thread: owns the SQLite database (search-index.sqlite.ts) and takes the
// words out of briefing HTML, so neither holds up the main process. Started by
// index-client.ts; one per open index.
//
// What it loads at its start is time before the first answer after the app starts: the HTML
// parser (briefing-text.ts) is loaded on the first upsert, not before the first query.
import type { SyncSearchIndex } from './search-index.sqlite.js';
import { deleteSqliteSearchIndex, openSqliteSearchIndex } from './search-index.sqlite.js';
import type { BriefingSource, IndexQuery } from './types.js';
import { serveCalls } from '../threads/workers.js';

let index: SyncSearchIndex | null = null;
/** What the reader has read, as last sent with a query. */
let readVersions: ReadonlyMap<string, number> | null = null;

const open = (): SyncSearchIndex => {
  if (!index) throw new Error('the search index is not open');
  return index;
};

/** How long writes must pause before the index's pieces are merged (index-tidy.sqlite.ts). */
const TIDY_AFTER_MS = 2_000;
let tidyTimer: NodeJS.Timeout | null = null;
let tidying: Promise<void> | null = null;

/**
 * Merges the index's pieces a step per turn of the thread's loop, so a query asked meanwhile is
 * answered between two steps (about 2 ms each). A failure ends it; the next pause tries again.
 */
const tidyNow = (): Promise<void> =>
  (tidying ??= new Promise<void>((resolve) => {
    const opened = index;
    const step = (): void => {
      let more: boolean;
      try {
        more = opened !== null && index === opened && opened.tidy();
      } catch {
        more = false;
      }
      if (more) {
        setImmediate(step);
        return;
      }
      tidying = null;
      resolve();
    };
    setImmediate(step);
  }));

/** After a write: merge once the writes have paused (a first sync writes batch after batch). */
const tidyLater = (): void => {
  if (tidyTimer) clearTimeout(tidyTimer);
  tidyTimer = setTimeout(() => {
    tidyTimer = null;
    void tidyNow();
  }, TIDY_AFTER_MS);
};

serveCalls({
  open: ({ path, key, fresh }: { path: string; key: Uint8Array; fresh: boolean }) => {
    if (fresh) deleteSqliteSearchIndex(path);
    index = openSqliteSearchIndex({ path, key: Buffer.from(key) });
    key.fill(0);
    // Once the open is answered, what queries use from memory is loaded a slice at a time, one
    // per turn of the thread's loop, so a query asked meanwhile is answered between two slices.
    // A failure here is the next query's to meet and report.
    const opened = index;
    const warm = (): void => {
      try {
        if (index === opened && opened.warm()) setImmediate(warm);
      } catch {
        // The query that needs it loads it again, and answers with the error.
      }
    };
    setImmediate(warm);
    return null;
  },
  upsert: async (sources: readonly BriefingSource[]) => {
    const { toIndexedBriefing } = await import('./briefing-text.js');
    open().upsert(sources.map(toIndexedBriefing));
    tidyLater();
    return null;
  },
  remove: (ids: readonly string[]) => {
    open().remove(ids);
    tidyLater();
    return null;
  },
  setNotes: ({ id, text }: { id: string; text: string }) => {
    open().setNotes(id, text);
    tidyLater();
    return null;
  },
  revisions: () => open().revisions(),
  attachmentKeys: (ids: readonly string[]) => open().attachmentKeys(ids),
  query: ({ sameReadVersions, ...query }: IndexQuery & { sameReadVersions?: true }) => {
    // The client sends what was read only when it changed (index-client.ts).
    if (query.readVersions) readVersions = query.readVersions;
    return open().query(sameReadVersions && readVersions ? { ...query, readVersions } : query);
  },
  tidy: async () => {
    open();
    await tidyNow();
    return null;
  },
  close: () => {
    if (tidyTimer) clearTimeout(tidyTimer);
    tidyTimer = null;
    index?.close();
    index = null;
    return null;
  },
});
