// Search over one person's briefings: keeps their index in step with their store and answers
// the reader's queries. The index lives beside the store, in the store's own folder (so it is
// erased with it) and sealed with a key made from the store's data key (so it is unreadable once
// that key is gone).
//
// The index follows the store's changes: an unshared briefing is removed at once (its words
// leave the index's files before anything else is asked of it), new and changed ones are read
// back from the store and indexed in small batches behind the sync, once it has written them
// (`yieldTo`: a first sync is not slowed by indexing what it has not finished writing). At open
// it catches up with whatever the store holds that it does not (a first start after an upgrade
// indexes everything already synced; a briefing changed while it was closed is indexed again).
import { join } from 'node:path';
import type { BriefingDoc } from '../../shared/briefing.js';
import { briefingDocSchema } from '../../shared/briefing.js';
import type { SearchRequest, SearchResponse } from '../../shared/search.js';
import { SEARCH_LIMIT_MAX, SEARCH_PAGE } from '../../shared/search.js';
import { readVersionsOf } from '../briefings/briefings-service.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { LocalChange, StoredDoc, UserStore } from '../storage/types.js';
import type { OpenedSearchIndex } from './index-client.js';
import { openSearchIndex } from './index-client.js';
import type { PdfTextExtractor } from './pdf-text.js';
import { createPdfTextExtractor } from './pdf-text.js';
import { isEmptyQuery, parseQuery } from './query-parser.js';
import type { BriefingSource, SearchIndex } from './types.js';

/** The index's file, inside the person's store folder. */
export const SEARCH_INDEX_FILE = join('search', 'index.db');
const BATCH = 25;

export type SearchService = {
  readonly query: (request: SearchRequest) => Promise<SearchResponse>;
  /**
   * The hook for the reader's own notes and highlights (the annotations capability): call it
   * with all of a briefing's note text whenever it changes, '' when none are left. Notes are
   * searched (weighted above the body), found by `has:notes`, kept when the briefing is
   * updated, and removed with it when it is unshared. Idempotent: calling it again for every
   * briefing with notes after a start is how they catch up.
   */
  readonly indexNotes: (briefingId: string, text: string) => Promise<void>;
  /** Briefings waiting to be indexed. */
  readonly pending: () => number;
  /** Resolves once nothing waits to be indexed (tests, benchmarks). */
  readonly idle: () => Promise<void>;
  readonly close: () => Promise<void>;
};

export type SearchServiceOptions = {
  readonly store: UserStore;
  readonly logger: Logger;
  /** Told after each batch the index took in, and after removals: results may have changed. */
  readonly onChanged?: (pending: number) => void;
  /** Opens the index; tests and the benchmark may wrap it. */
  readonly openIndex?: typeof openSearchIndex;
  readonly pdfText?: PdfTextExtractor;
  /**
   * What indexing gives way to: while it says busy (the workspace: a sync writing briefings),
   * what waits to be indexed waits, one batch going through every `holdMaxMs` at most, and the
   * rest follows once it is not busy. Removals never wait.
   */
  readonly yieldTo?: BusySignal;
  /** The longest indexing waits on a busy signal before one batch goes through (5 s). */
  readonly holdMaxMs?: number;
};

/** Something indexing gives way to while it is busy. */
export type BusySignal = {
  readonly busy: () => boolean;
  /** Told whenever `busy` may have changed; returns the unsubscribe. */
  readonly onChange: (listener: () => void) => () => void;
};

const HOLD_MAX_MS = 5_000;

/** A busy signal and its switch (the workspace sets it from the sync's status). */
export function createBusySignal(): {
  readonly signal: BusySignal;
  readonly set: (busy: boolean) => void;
} {
  let busy = false;
  const listeners = new Set<() => void>();
  return {
    signal: {
      busy: () => busy,
      onChange: (listener) => {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
    },
    set: (now) => {
      if (now === busy) return;
      busy = now;
      for (const listener of [...listeners]) listener();
    },
  };
}

const isPdf = (contentType: string): boolean =>
  contentType.toLowerCase().startsWith('application/pdf');

function validBriefing(stored: StoredDoc): BriefingDoc | null {
  const { _id, _rev, _attachments, _conflicts, _revisions, ...body } = stored;
  void _id;
  void _rev;
  void _attachments;
  void _conflicts;
  void _revisions;
  const parsed = briefingDocSchema.safeParse(body);
  return parsed.success ? parsed.data : null;
}

/** The PDFs' digests as the store holds them: equal digests, equal files. */
function pdfDigests(stored: StoredDoc, doc: BriefingDoc): { name: string; digest: string }[] {
  const stubs = (stored['_attachments'] ?? {}) as Record<string, { digest?: unknown }>;
  return doc.attachments
    .filter((a) => isPdf(a.contentType))
    .map((a) => {
      const digest = stubs[a.name]?.digest;
      return { name: a.name, digest: typeof digest === 'string' ? digest : '' };
    });
}

export function createSearchService(options: SearchServiceOptions): SearchService {
  const { store } = options;
  const logger = options.logger.child('search');
  const pdfText = options.pdfText ?? createPdfTextExtractor({ logger });
  const toIndex = new Set<string>();
  let closed = false;
  let working: Promise<void> | null = null;
  let idleWaiters: (() => void)[] = [];
  let readVersions: Promise<Map<string, number>> | null = null;
  /** Until the index has caught up with the store, it is not idle whatever waits. */
  let caughtUp = false;
  const holdMaxMs = options.holdMaxMs ?? HOLD_MAX_MS;
  let heldSince: number | null = null;
  let holdTimer: NodeJS.Timeout | null = null;

  const opened: Promise<OpenedSearchIndex> = (options.openIndex ?? openSearchIndex)({
    path: join(store.location, SEARCH_INDEX_FILE),
    key: store.deriveKey('search-index'),
    logger,
  });
  // A failed open is answered to each query; nothing else may reject unheard.
  opened.catch((error: unknown) =>
    logger.error('the search index could not be opened', errorFields(error)),
  );
  const index = async (): Promise<SearchIndex> => (await opened).index;

  const notifyIdle = (): void => {
    if (!(caughtUp || closed) || toIndex.size > 0 || working) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const source = async (
    stored: StoredDoc,
    doc: BriefingDoc,
    known: ReadonlyMap<string, string>,
  ): Promise<BriefingSource> => {
    const pdfs = pdfDigests(stored, doc);
    const attachmentsKey = pdfs.map((p) => `${p.name}:${p.digest}`).join('\n');
    let attachments: string | null = null;
    if (known.get(stored._id) !== attachmentsKey) {
      const texts: string[] = [];
      for (const pdf of pdfs) {
        const data = await store.getBriefingAttachment(stored._id, pdf.name);
        const text = data ? await pdfText.extract(data.data) : null;
        if (text) texts.push(text);
      }
      attachments = texts.join('\n');
    }
    return {
      id: stored._id,
      rev: stored._rev,
      title: doc.title,
      summary: doc.summary,
      senderName: doc.sender.name,
      senderRole: doc.sender.role,
      bodyHtml: doc.bodyHtml,
      attachments,
      attachmentsKey,
      classification: doc.classification,
      priority: doc.priority,
      approvedAt: doc.approvedAt,
      sourceVersion: doc.sourceVersion,
      attachmentCount: doc.attachments.length,
    };
  };

  const indexBatch = async (target: SearchIndex, ids: string[]): Promise<void> => {
    const docs = await store.getBriefingDocs(ids);
    const known = await target.attachmentKeys(docs.map((d) => d._id));
    const sources: BriefingSource[] = [];
    const invalid: string[] = [];
    for (const stored of docs) {
      const doc = validBriefing(stored);
      if (doc) sources.push(await source(stored, doc, known));
      else invalid.push(stored._id);
    }
    // Gone meanwhile (unshared), or not a briefing the reader would show: not searchable.
    const missing = ids.filter((id) => !docs.some((d) => d._id === id));
    if (missing.length + invalid.length > 0) await target.remove([...missing, ...invalid]);
    if (sources.length > 0) await target.upsert(sources);
  };

  /**
   * Whether indexing gives way now. A sync writing a first sync's thousands of briefings and
   * the index taking them in at the same time share the device's CPUs: both slow down, and the
   * sync is what makes briefings readable at all. So the index waits for it, except one batch
   * per `holdMaxMs` (a sync stuck busy must not stop search), and catches up once it is done.
   */
  const yielding = (): boolean => {
    if (!options.yieldTo?.busy()) {
      heldSince = null;
      return false;
    }
    const now = Date.now();
    heldSince ??= now;
    if (now - heldSince >= holdMaxMs) {
      heldSince = now;
      return false;
    }
    holdTimer ??= setTimeout(
      () => {
        holdTimer = null;
        work();
      },
      heldSince + holdMaxMs - now,
    );
    return true;
  };

  /** Indexes what waits, a batch at a time; one run at a time. */
  const work = (): void => {
    if (working || closed || toIndex.size === 0 || yielding()) return;
    working = (async () => {
      try {
        const target = await index();
        let first = true;
        while (!closed && toIndex.size > 0) {
          if (!first && yielding()) return;
          first = false;
          const batch = [...toIndex].slice(0, BATCH);
          for (const id of batch) toIndex.delete(id);
          try {
            await indexBatch(target, batch);
          } catch (error) {
            if (closed) return;
            logger.error('could not index briefings; retried at the next change', {
              ...errorFields(error),
              count: batch.length,
            });
            return;
          }
          options.onChanged?.(toIndex.size);
        }
      } catch (error) {
        logger.error('the search index is not available', errorFields(error));
      }
    })().finally(() => {
      working = null;
      if (!closed && toIndex.size > 0) work();
      else notifyIdle();
    });
  };
  const unsubscribeBusy = options.yieldTo?.onChange(() => {
    if (options.yieldTo?.busy()) return;
    heldSince = null;
    if (holdTimer) clearTimeout(holdTimer);
    holdTimer = null;
    work();
  });

  const onChanges = (changes: readonly LocalChange[]): void => {
    const removed = changes.filter((c) => c.deleted).map((c) => c.id);
    for (const change of changes) {
      if (change.deleted) toIndex.delete(change.id);
      else toIndex.add(change.id);
    }
    if (removed.length > 0) {
      // Sent before anything else is asked of the index: the worker answers in order, so no
      // query after this moment can find an unshared briefing.
      void index()
        .then((target) => target.remove(removed))
        .then(() => options.onChanged?.(toIndex.size))
        .catch((error: unknown) =>
          logger.error('could not remove unshared briefings from the index', errorFields(error)),
        );
    }
    work();
  };
  const unsubscribe = store.onBriefingsChange(onChanges);
  const unsubscribeReturns = store.onReturnsChange(() => {
    readVersions = null;
  });

  // Catch up with the store: index what it lacks or holds in an older revision, drop the rest.
  void (async () => {
    try {
      const target = await index();
      const [inStore, inIndex] = await Promise.all([
        store.listBriefingRevisions(),
        target.revisions(),
      ]);
      const stale = [...inIndex.keys()].filter((id) => !inStore.has(id));
      if (stale.length > 0) await target.remove(stale);
      for (const [id, rev] of inStore) if (inIndex.get(id) !== rev) toIndex.add(id);
      if (toIndex.size > 0) logger.info('indexing briefings for search', { count: toIndex.size });
    } catch (error) {
      if (!closed) logger.error('could not bring the search index up to date', errorFields(error));
    } finally {
      caughtUp = true;
      work();
      notifyIdle();
    }
  })();

  const currentReadVersions = (): Promise<Map<string, number>> => {
    readVersions ??= store.listReturnDocs().then(readVersionsOf);
    const current = readVersions;
    current.catch(() => {
      if (readVersions === current) readVersions = null;
    });
    return current;
  };

  return {
    query: async (request) => {
      const parsed = parseQuery(request.text, request.filters ?? {});
      const highlight = { terms: parsed.terms, phrases: parsed.phrases };
      if (isEmptyQuery(parsed)) {
        return {
          total: 0,
          totalCapped: false,
          hits: [],
          highlight,
          pending: toIndex.size,
          problems: parsed.problems,
        };
      }
      const target = await index();
      const read = await currentReadVersions();
      const answer = await target.query({
        query: parsed,
        limit: Math.min(request.limit ?? SEARCH_PAGE, SEARCH_LIMIT_MAX),
        offset: request.offset ?? 0,
        ...(parsed.filters.unread === undefined ? {} : { readVersions: read }),
      });
      return {
        total: answer.total,
        totalCapped: answer.totalCapped,
        hits: answer.hits.map(({ sourceVersion, ...hit }) => ({
          ...hit,
          read: (read.get(hit.id) ?? 0) >= sourceVersion,
        })),
        highlight: {
          terms: [...parsed.terms, ...answer.expansions.map((text) => ({ text, prefix: false }))],
          phrases: parsed.phrases,
        },
        pending: toIndex.size,
        problems: parsed.problems,
      };
    },
    indexNotes: async (briefingId, text) => {
      await (await index()).setNotes(briefingId, text);
      options.onChanged?.(toIndex.size);
    },
    pending: () => toIndex.size,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        notifyIdle();
      }),
    close: async () => {
      closed = true;
      unsubscribe();
      unsubscribeReturns();
      unsubscribeBusy?.();
      if (holdTimer) clearTimeout(holdTimer);
      await working;
      await pdfText.close();
      try {
        await (await opened).index.close();
      } catch {
        // Never opened: nothing to close (the failure was logged when it happened).
      }
      notifyIdle();
    },
  };
}
