// The summary index: per briefing only what the reader's list shows, plus the read state, so a
// list (or a page of it) never reads, decrypts or validates a briefing's body, and a get or
// mark-read never reads every read receipt.
//
// It is a cache of the store. It remembers up to which sequence of each database (briefings,
// returns) it has seen and catches up from their changes feeds before it answers, so it is never
// behind what the store holds; it is saved (sealed, summary-index.file.ts) once its changes
// pause (save-pacer.ts) and when the store closes. A missing or unusable file, or one of another format,
// means a rebuild (this is how a store written by an earlier release gets its index). The
// rebuild reads the briefings a few hundred at a time and answers as soon as the first of them
// are in, so the first screen does not wait for thousands of documents to be decrypted; the
// rest comes in the background, yielding to the event loop between reads, and each part is
// announced (onChanged) the way a sync announces what it writes, so the reader merges it in.
// A file of the previous format (1, without the annotation marks) keeps its briefings and is
// migrated by one read of the returns database alone (summary-index-format.ts).
//
// From the returns it also keeps the order and owner of every annotation event (never a quote or
// a note: annotations/annotation-presence.ts), so each summary says how many marks the reader
// has on that briefing without the list reading an event.
import { ANNOTATION_EVENT_ID_PREFIX } from '../../shared/annotations/limits.js';
import { readReceiptSchema } from '../../shared/briefing.js';
import type { BriefingSummary } from '../../shared/ipc.js';
import type { AnnotationMark } from '../annotations/annotation-presence.js';
import { annotationMarkOf, liveAnnotationCounts } from '../annotations/annotation-presence.js';
import { errorFields } from '../logging/logger.js';
import type { ChangesPage, StoredDoc } from '../storage/types.js';
import { createSavePacer } from './save-pacer.js';
import type {
  IndexedBriefing,
  Row,
  Saved,
  SummaryIndex,
  SummaryIndexOptions,
} from './summary-index-format.js';
import {
  FORMAT,
  FORMAT_WITHOUT_MARKS,
  approvedTime,
  asSaved,
  briefingOfReturn,
  compareRows,
  toIndexed,
} from './summary-index-format.js';

export type {
  IndexedBriefing,
  SummaryIndex,
  SummaryIndexOptions,
  SummaryPage,
} from './summary-index-format.js';
export { briefingOfReturn, toIndexed } from './summary-index-format.js';

const CHANGES_PAGE = 500;
const DEFAULT_SAVE_DELAY_MS = 2_000;
/** Saving all of it every 2 s of a first sync slowed the sync and grew its memory (bench:device). */
const DEFAULT_SAVE_WITHIN_MS = 30_000;
/** About 100 ms of reading and decrypting on a slow laptop: the first answer waits for one. */
const DEFAULT_BUILD_CHUNK = 200;

export function createSummaryIndex(options: SummaryIndexOptions): SummaryIndex {
  const { store, validate } = options;
  const logger = options.logger.child('summary-index');
  const buildChunk = Math.max(1, options.buildChunk ?? DEFAULT_BUILD_CHUNK);

  const rows = new Map<string, Row>();
  const read = new Map<string, number>();
  // By event document id: a removed event (the briefing was unshared) comes as a deletion.
  const marks = new Map<string, AnnotationMark>();
  let annotationCounts: ReadonlyMap<string, number> | null = null;
  let briefingsSeq: string | number = 0;
  let returnsSeq: string | number = 0;
  let ordered: Row[] | null = null;
  let unsaved = false;
  let closed = false;
  let loaded: Promise<void> | null = null;
  // One catch-up at a time: the seq it starts from is the one the previous ended at.
  let updating: Promise<void> = Promise.resolve();
  // The background part of a rebuild; until it ends the index holds only part of the store and
  // is never saved (a saved part would pass for the whole on the next start).
  let building: Promise<void> = Promise.resolve();
  let complete = true;

  const announce = (briefingIds: readonly string[]): void => {
    if (briefingIds.length === 0 || !options.onChanged) return;
    try {
      options.onChanged(briefingIds);
    } catch (error) {
      logger.warn('a summary index listener failed', errorFields(error));
    }
  };

  const put = (entry: IndexedBriefing): void => {
    rows.set(entry.id, { entry, time: approvedTime(entry.approvedAt) });
  };

  const applyBriefing = (id: string, doc: StoredDoc | null): void => {
    const valid = doc ? validate(doc) : null;
    if (valid) put(toIndexed(valid.id, valid.doc));
    else rows.delete(id);
    ordered = null;
  };
  const applyReturn = (id: string, doc: StoredDoc | null): void => {
    if (id.startsWith(ANNOTATION_EVENT_ID_PREFIX)) {
      const mark = doc ? annotationMarkOf(doc) : null;
      if (mark) marks.set(id, mark);
      else marks.delete(id);
      annotationCounts = null;
      return;
    }
    // Receipts are append-only and never removed, so a deletion changes nothing here.
    const parsed = doc ? readReceiptSchema.safeParse(doc) : null;
    if (!parsed?.success) return;
    const { briefingId, sourceVersion } = parsed.data;
    read.set(briefingId, Math.max(read.get(briefingId) ?? 0, sourceVersion));
  };

  /** Runs `step` after every catch-up and step queued before it, and before any queued after. */
  const serialised = <T>(step: () => Promise<T>): Promise<T> => {
    const run = updating.then(step);
    updating = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };

  const readBriefings = async (ids: readonly string[]): Promise<void> => {
    for (const doc of await store.getBriefingDocs(ids)) applyBriefing(doc._id, doc);
  };

  /** The rest of a rebuild, a part at a time, each read in turn with the catch-ups. */
  const buildRest = async (ids: readonly string[]): Promise<void> => {
    for (let at = 0; at < ids.length; at += buildChunk) {
      // Let the reader's requests and the sync run between two parts.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (closed) return;
      const part = ids.slice(at, at + buildChunk);
      // Serialised with the catch-ups: a read that raced a write is followed by the catch-up
      // that applies the write, never the other way round.
      await serialised(() => readBriefings(part));
      announce(part.filter((id) => rows.has(id)));
    }
    complete = true;
    unsaved = true;
    scheduleSave();
  };

  /**
   * Everything from the databases: the receipts in one read, the briefings a part at a time by
   * id (no changes feed from 0, which is much slower). Resolves once the first part is in; the
   * rest follows in the background. The sequences are taken first: what is written meanwhile
   * comes again in the catch-ups, and applying a document twice changes nothing.
   */
  const rebuild = async (): Promise<void> => {
    const briefingsAt = await store.briefingsUpdateSeq();
    await rebuildReturns();
    // Descending ids: references an SOR hands out tend to grow with time, so the first part
    // tends to hold newer briefings. Nothing depends on it: the list is sorted by approval.
    const ids = [...(await store.listBriefingRevisions()).keys()].sort().reverse();
    await readBriefings(ids.slice(0, buildChunk));
    briefingsSeq = briefingsAt;
    if (ids.length <= buildChunk) {
      unsaved = true;
      return;
    }
    complete = false;
    building = buildRest(ids.slice(buildChunk)).catch((error: unknown) => {
      // Not saved, so the next start builds again; until then the list shows what was read.
      logger.warn('could not finish building the summary index', errorFields(error));
    });
  };

  /** Receipts and annotation events, from one read of the returns database. */
  const rebuildReturns = async (): Promise<void> => {
    const returnsAt = await store.returnsUpdateSeq();
    for (const doc of await store.listReturnDocs()) applyReturn(doc._id, doc);
    returnsSeq = returnsAt;
    unsaved = true;
  };

  const load = async (): Promise<void> => {
    const saved = asSaved(await store.summaryIndexFile.read());
    if (!saved) {
      logger.info('building the summary index from the store');
      await rebuild();
      return;
    }
    for (const entry of saved.briefings) put(entry);
    // Saved in the list's order (save below), so it is the order until something changes.
    ordered = [...rows.values()];
    for (const [id, version] of saved.read) read.set(id, version);
    briefingsSeq = saved.briefingsSeq;
    returnsSeq = saved.returnsSeq;
    if (saved.format === FORMAT_WITHOUT_MARKS) {
      // Saved by the previous release: its briefings stand; the returns it never kept the
      // annotation events of are read once (receipts again too, which changes nothing).
      logger.info('adding annotation marks to the summary index from the returns');
      await rebuildReturns();
      return;
    }
    for (const mark of saved.annotationMarks) marks.set(mark.eventId, mark);
  };

  const follow = async (
    since: string | number,
    next: (since: string | number, limit: number) => Promise<ChangesPage>,
    apply: (id: string, doc: StoredDoc | null) => void,
  ): Promise<string | number> => {
    let seq = since;
    for (;;) {
      const page = await next(seq, CHANGES_PAGE);
      for (const { id, doc } of page.results) apply(id, doc);
      if (page.results.length > 0 || page.lastSeq !== seq) unsaved = true;
      seq = page.lastSeq;
      if (!page.more) return seq;
    }
  };

  // During a first sync the store may hold thousands of briefings the index has not seen yet:
  // an answer waits for one page of them at most, and the rest is caught up in the background,
  // a page at a time between the reader's requests. Until the index has caught up again, every
  // briefing it applies is announced, since an answer given meanwhile may have left it out (a
  // `summaries` call for it answered "not here").
  let behind = false;
  let continuing = false;

  const catchUp = async (): Promise<void> => {
    const page = await store.briefingChangesSince(briefingsSeq, CHANGES_PAGE);
    for (const { id, doc } of page.results) applyBriefing(id, doc);
    const returnsBefore = returnsSeq;
    const changed = page.results.length > 0 || page.lastSeq !== briefingsSeq;
    if (changed) unsaved = true;
    briefingsSeq = page.lastSeq;
    const applied = behind ? page.results.map((result) => result.id) : [];
    behind = page.more;
    if (behind) continueLater();
    // The store tells of briefing changes itself; what a returns document changes (read state,
    // annotations) only shows here, so it is announced with the briefings it names.
    const concerned = new Set<string>(applied);
    returnsSeq = await follow(returnsSeq, store.returnChangesSince, (id, doc) => {
      applyReturn(id, doc);
      const briefingId = briefingOfReturn(doc);
      if (briefingId) concerned.add(briefingId);
    });
    // A save waits for a pause in the changes, so only a change postpones it.
    if (changed || returnsSeq !== returnsBefore || (unsaved && !saver.pending())) scheduleSave();
    announce([...concerned]);
  };

  function continueLater(): void {
    if (continuing || closed) return;
    continuing = true;
    setImmediate(() => {
      continuing = false;
      if (closed || !behind) return;
      serialised(catchUp).catch((error: unknown) => {
        // The next answer catches up again.
        logger.warn('could not catch up with the store', errorFields(error));
      });
    });
  }

  // What the pull writes comes with its documents (UserStore.onBriefingsWritten). When the index
  // stands exactly where such a write began, it takes them as the feed would have told them and
  // moves past the write, instead of reading back every document a first sync writes. Otherwise
  // (not loaded yet, behind, or after a write it was not told of) the feed tells it, as before.
  const unsubscribeWritten = store.onBriefingsWritten((written) => {
    const ready = loaded;
    if (closed || ready === null) return;
    serialised(async () => {
      await ready;
      if (closed || String(briefingsSeq) !== String(written.from)) return;
      for (const { id, doc } of written.results) applyBriefing(id, doc);
      briefingsSeq = written.to;
      unsaved = true;
      scheduleSave();
    }).catch((error: unknown) => {
      // The next catch-up reads the feed instead.
      logger.warn('could not take in what the pull wrote', errorFields(error));
    });
  });

  const save = async (): Promise<void> => {
    if (!unsaved || !complete) return;
    unsaved = false;
    const value: Saved = {
      format: FORMAT,
      briefingsSeq,
      returnsSeq,
      // In the list's order, so that a start with nothing to catch up does not sort again.
      briefings: (ordered ??= [...rows.values()].sort(compareRows)).map((row) => row.entry),
      read: [...read.entries()],
      annotationMarks: [...marks.values()],
    };
    try {
      await store.summaryIndexFile.write(value);
    } catch (error) {
      unsaved = true;
      // Not fatal: the index is rebuilt or caught up from the store on the next start.
      logger.warn('could not save the summary index', errorFields(error));
    }
  };

  const saver = createSavePacer({
    quietMs: options.saveDelayMs ?? DEFAULT_SAVE_DELAY_MS,
    withinMs: options.saveWithinMs ?? DEFAULT_SAVE_WITHIN_MS,
    save: () => {
      updating = updating.then(save);
    },
  });
  function scheduleSave(): void {
    if (!closed) saver.changed();
  }

  /** Runs `fn` on an index that holds everything the store holds now. */
  const current = <T>(fn: () => T): Promise<T> => {
    loaded ??= load();
    return serialised(async () => {
      await loaded;
      await catchUp();
      return fn();
    });
  };

  const annotationCountOf = (id: string): number =>
    (annotationCounts ??= liveAnnotationCounts(marks.values())).get(id) ?? 0;
  const isRead = (entry: IndexedBriefing): boolean => {
    const readVersion = read.get(entry.id);
    // A newly approved version of a briefing is news again, so a receipt for an older version
    // does not count.
    return readVersion !== undefined && readVersion >= entry.sourceVersion;
  };
  const summaryOf = (entry: IndexedBriefing): BriefingSummary => {
    const { sourceVersion, sorId, ...summary } = entry;
    void sourceVersion;
    void sorId;
    return { ...summary, read: isRead(entry), annotationCount: annotationCountOf(entry.id) };
  };
  const unreadCount = (): number => {
    let unread = 0;
    for (const row of rows.values()) if (!isRead(row.entry)) unread += 1;
    return unread;
  };

  return {
    page: (offset, limit) =>
      current(() => {
        ordered ??= [...rows.values()].sort(compareRows);
        return {
          items: ordered.slice(offset, offset + limit).map((row) => summaryOf(row.entry)),
          total: ordered.length,
          unread: unreadCount(),
        };
      }),
    summaries: (ids) =>
      current(() => ({
        items: ids.flatMap((id) => {
          const row = rows.get(id);
          return row ? [summaryOf(row.entry)] : [];
        }),
        total: rows.size,
        unread: unreadCount(),
      })),
    entry: (id) => current(() => rows.get(id)?.entry ?? null),
    readVersion: (id) => current(() => read.get(id)),
    annotationCount: (id) => current(() => annotationCountOf(id)),
    refresh: () => current(() => undefined),
    built: async () => {
      loaded ??= load();
      await loaded;
      await building;
    },
    flush: () => {
      const run = updating.then(save);
      updating = run;
      return run;
    },
    close: async () => {
      closed = true;
      unsubscribeWritten();
      saver.cancel();
      // A rebuild stops between two parts; it is not saved, so the next start builds again.
      await building;
      const run = updating.then(save);
      updating = run;
      await run;
    },
  };
}
