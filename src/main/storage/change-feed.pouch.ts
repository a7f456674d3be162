// What both databases of the store share on PouchDB: telling content from bookkeeping, PouchDB's
// error shapes, and the changes feed (live, coalesced for listeners; paged, on demand).
import type PouchDB from 'pouchdb-node';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { ChangesPage, LocalChange, StoredDoc } from './types.js';

export type Db = PouchDB.Database;

const CHANGE_COALESCE_MS = 25;

export function isNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 404
  );
}

export function isConflict(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 409
  );
}

export function isUserDoc(id: string): boolean {
  // Design documents (the server's write guard) replicate down but are not content.
  return !id.startsWith('_design/');
}

export type ChangeFeed = ReturnType<typeof createChangeFeed>;

/**
 * Hands coalesced batches of one database's changes to listeners: those its live changes feed
 * reports (attach), or those its writers announce (the briefings database, whose only writers are
 * the store's own: reading the feed back would read every document the pull just wrote again).
 */
export function createChangeFeed(logger: Logger) {
  const listeners = new Set<(changes: readonly LocalChange[]) => void>();
  let feed: PouchDB.Core.Changes<object> | null = null;
  let pending: LocalChange[] = [];
  let timer: NodeJS.Timeout | null = null;

  const flush = (): void => {
    timer = null;
    const batch = pending;
    pending = [];
    for (const listener of listeners) {
      try {
        listener(batch);
      } catch (error) {
        logger.error('change listener failed', errorFields(error));
      }
    }
  };

  const announce = (changes: readonly LocalChange[]): void => {
    const content = changes.filter((change) => isUserDoc(change.id));
    if (content.length === 0) return;
    pending.push(...content);
    timer ??= setTimeout(flush, CHANGE_COALESCE_MS);
  };

  return {
    announce,
    /** Tells these now, with anything still coalescing before them (an unshare: see its use). */
    announceNow(changes: readonly LocalChange[]): void {
      announce(changes);
      if (timer) clearTimeout(timer);
      if (pending.length > 0) flush();
    },
    attach(db: Db): void {
      feed = db
        .changes({ since: 'now', live: true })
        .on('change', (change) => announce([{ id: change.id, deleted: change.deleted === true }]))
        .on('error', (error) => logger.warn('changes feed stopped', errorFields(error)));
    },
    detach(): void {
      feed?.cancel();
      feed = null;
    },
    subscribe(listener: (changes: readonly LocalChange[]) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close(): void {
      this.detach();
      if (timer) clearTimeout(timer);
      timer = null;
      listeners.clear();
    },
  };
}

export async function changesSince(
  db: Db,
  since: string | number,
  limit: number,
): Promise<ChangesPage> {
  const changes = await db.changes({ since, limit, include_docs: true, return_docs: true });
  return {
    results: changes.results
      .filter((change) => isUserDoc(change.id))
      .map((change) => ({
        id: change.id,
        doc: change.deleted === true || !change.doc ? null : (change.doc as unknown as StoredDoc),
      })),
    lastSeq: changes.last_seq,
    more: changes.results.length >= limit,
  };
}
