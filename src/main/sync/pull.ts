// The device's own pull of the briefings database (and, with `database: 'returns'`, of the
// person's returns: what their other devices wrote), in place of PouchDB's replicator (which
// fetches every attachment with a GET of its own, all of a batch's at once, and follows only
// the server's write order). Per page of the server's changes feed it asks the store which
// revisions it lacks, fetches them with `_bulk_get` (history and attachments inline; attachments
// the store already holds are left out with atts_since), a bounded number of requests in flight,
// writes them as replication does (new_edits: false) and then moves its checkpoint. So:
// - it resumes after any interruption from the last page fully written (a page half written is
//   fetched again; writing a revision twice changes nothing);
// - on a first sync it first fetches the newest briefings (the feed read backwards), so they are
//   readable at once whatever the total; the rest fills in oldest first;
// - once it reaches the end of the feed for the first time it compares the store with the whole
//   feed as it stood when the first sync began (read beside the fill, not after it) and fetches
//   anything missing (nothing should be: the pass proves it) before it says complete;
// - then it long-polls the feed.
// Decisions about failures (back-off, restart, status) stay with the sync service: the pull
// reports them as ReplicationEvents, as PouchDB's replicator did.
import type { Logger } from '../logging/logger.js';
import type {
  PullTarget,
  ReplicatedDoc,
  ReplicationEvent,
  ReplicationHandle,
} from '../storage/types.js';
import type { PullPhase } from './sync-model.js';
import type { BrokerDatabase, BrokerTransport } from './types.js';

export type PullOptions = {
  readonly transport: BrokerTransport;
  /** Which of the person's databases to pull; briefings unless said. */
  readonly database?: BrokerDatabase;
  readonly target: PullTarget;
  readonly logger: Logger;
  readonly onEvent: (event: ReplicationEvent) => void;
  /** Told as the pull enters each phase (the sync service's model records it). */
  readonly onPhase?: (phase: PullPhase) => void;
  /** Delay before the next attempt after a failure, given the previous delay (0 at first). */
  readonly backOff: (previousMs: number) => number;
  readonly tuning?: Partial<PullTuning>;
};

export type PullTuning = {
  /** Changes read per page of the feed. */
  readonly pageSize: number;
  /** Documents per `_bulk_get`. */
  readonly batchSize: number;
  /** `_bulk_get` requests in flight at most. */
  readonly inFlight: number;
  /** Briefings fetched first on a first sync, newest first. */
  readonly newestFirst: number;
  /** How long one long poll of the feed waits for a change. */
  readonly longPollMs: number;
};

export const DEFAULT_PULL_TUNING: PullTuning = {
  pageSize: 1_000,
  batchSize: 50,
  inFlight: 4,
  newestFirst: 50,
  longPollMs: 25_000,
};

type Change = { id: string; seq: string | number; changes: { rev: string }[]; deleted?: boolean };
type ChangesPage = { results: Change[]; last_seq: string | number };
type BulkGetAnswer = {
  results: { id: string; docs: ({ ok: ReplicatedDoc } | { error: unknown })[] }[];
};

/** A refusal the sync service classifies by its status, as it did PouchDB's errors. */
export class PullRequestError extends Error {
  override readonly name = 'PullRequestError';
  constructor(
    readonly status: number,
    what: string,
  ) {
    super(`${what}: the broker answered ${status}`);
  }
}

/**
 * At most `limit` tasks at once across every caller, started in the order they asked: the
 * pull's requests in flight, whichever page of the feed they belong to.
 */
function createSlots(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let free = limit;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (free > 0) free -= 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free += 1;
    }
  };
}

/** Runs `work` over `items` in `slots`; rejects with the first failure once every one settled. */
async function eachInSlots<T>(
  items: readonly T[],
  slots: ReturnType<typeof createSlots>,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let failed = false;
  // Every item settles before this does: no write is left running behind a failure, and what
  // still waits for a slot after one is not started.
  const outcomes = await Promise.allSettled(
    items.map((item) =>
      slots(async () => {
        if (failed) return;
        try {
          await work(item);
        } catch (error) {
          failed = true;
          throw error;
        }
      }),
    ),
  );
  const rejected = outcomes.find((outcome) => outcome.status === 'rejected');
  if (rejected) throw rejected.reason;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

export function startPull(options: PullOptions): ReplicationHandle {
  const tuning: PullTuning = { ...DEFAULT_PULL_TUNING, ...options.tuning };
  const { transport, target, logger } = options;
  const database = options.database ?? 'briefings';
  const slots = createSlots(tuning.inFlight);
  const abort = new AbortController();
  const { signal } = abort;
  let stopped = false;

  const emit = (event: ReplicationEvent): void => {
    try {
      options.onEvent(event);
    } catch (error) {
      logger.error('pull listener failed', { error: String(error) });
    }
  };
  const phase = (next: PullPhase): void => {
    if (!signal.aborted) options.onPhase?.(next);
  };

  const getJson = async <T>(what: string, path: string, body?: unknown): Promise<T> => {
    const response = await transport.request(database, path, {
      ...(body === undefined ? {} : { method: 'POST' as const, body }),
      signal,
    });
    if (!response.ok) {
      await response.arrayBuffer().catch(() => undefined);
      throw new PullRequestError(response.status, what);
    }
    return (await response.json()) as T;
  };

  const changes = (query: string): Promise<ChangesPage> =>
    getJson<ChangesPage>('reading the changes feed', `_changes?style=all_docs&${query}`);

  // Until a first sync is complete: a revision of each document the store certainly holds (its
  // current one when the attempt began, then each one this pull wrote). A page of the feed asks
  // the store only about the rest, so a first sync does not read the store once per document
  // to learn that it lacks it. Only the pull writes into its database, so what it holds stays
  // held; the final pass does not rely on it (it reads the store afresh).
  let held: Map<string, string> | null = null;
  const certainlyHeld = (change: Change, known: ReadonlyMap<string, string> | null): boolean =>
    known !== null && change.changes.every(({ rev }) => known.get(change.id) === rev);

  /** Fetches and stores what the store lacks of these changes; resolves with how many were written. */
  const fetchMissing = async (
    changed: readonly Change[],
    batchSize = tuning.batchSize,
  ): Promise<number> => {
    const page = changed.filter((change) => !certainlyHeld(change, held));
    if (page.length === 0) return 0;
    // What the pull knows the database lacks altogether (a first sync: nearly everything) is
    // not asked about: a revsDiff reads the store once per document to say so.
    const known = target.soleWriter ? held : null;
    // (Design documents are left to missingRevisions, which leaves them out: not content.)
    const lacked = (change: Change): boolean =>
      known !== null && !known.has(change.id) && !change.id.startsWith('_design/');
    const named: Record<string, string[]> = {};
    const missing: Record<string, { missing: string[]; have: string[] }> = {};
    for (const change of page) {
      const into = lacked(change) ? missing : named;
      const revs = change.changes.map((c) => c.rev);
      if (into === missing) {
        missing[change.id] = {
          missing: [...(missing[change.id]?.missing ?? []), ...revs],
          have: [],
        };
      } else named[change.id] = [...(named[change.id] ?? []), ...revs];
    }
    if (Object.keys(named).length > 0) Object.assign(missing, await target.missingRevisions(named));
    const wanted = Object.entries(missing).flatMap(([id, { missing: revs, have }]) =>
      revs.map((rev) => ({ id, rev, ...(have.length > 0 ? { atts_since: have } : {}) })),
    );
    let written = 0;
    await eachInSlots(chunks(wanted, batchSize), slots, async (batch) => {
      const answer = await getJson<BulkGetAnswer>(
        `fetching ${database}`,
        '_bulk_get?revs=true&attachments=true&latest=true',
        { docs: batch },
      );
      const docs = answer.results.flatMap((result) =>
        result.docs.flatMap((entry) => ('ok' in entry ? [entry.ok] : [])),
      );
      if (signal.aborted) return;
      const ids = await target.writeReplicated(docs);
      if (held) {
        const stored = new Set(ids);
        for (const doc of docs) if (stored.has(doc._id)) held.set(doc._id, doc._rev);
      }
      written += ids.length;
      if (ids.length > 0) emit({ kind: 'change', docsWritten: ids.length, ids });
    });
    return written;
  };

  /**
   * Every page of the feed from `since` to its end, each fetched and then checkpointed, in
   * order. The next page is read while this one's documents are fetched, and its fetches start
   * while this one's last are in flight (one page ahead at most, sharing the same slots), so
   * the requests in flight do not drain at the end of each page.
   */
  const catchUp = async (since: string | number, verified: boolean): Promise<string | number> => {
    const pageAfter = (at: string | number): Promise<ChangesPage> =>
      changes(`since=${encodeURIComponent(String(at))}&limit=${tuning.pageSize}`);
    // Everything up to `at` is written and checkpointed; `read` is the last page read.
    let at = since;
    let read = since;
    let next = pageAfter(read);
    const running = new Set<Promise<number>>();
    let previous: { seq: string | number; fetched: Promise<number> } | null = null;
    const checkpointPrevious = async (): Promise<void> => {
      if (!previous) return;
      const { seq, fetched } = previous;
      previous = null;
      await fetched;
      if (signal.aborted) return;
      await target.writeCheckpoint({ since: seq, verified });
      at = seq;
      emit({ kind: 'checkpoint', seq });
    };
    try {
      for (;;) {
        const page: ChangesPage = await next;
        if (signal.aborted || String(page.last_seq) === String(read)) break;
        // A short page is not the end: the broker takes design documents out of the feed, so a
        // page may hold fewer changes than asked for, or none, with more after it. Only a page
        // that does not move ends the catch-up; it costs one read, made ahead, at the end. An
        // empty page that moved is checkpointed like any other: the live feed asked from
        // before it would answer at once, empty, again and again.
        read = page.last_seq;
        next = pageAfter(read);
        // Read ahead: a failure here is met when the page is awaited, not before.
        next.catch(() => undefined);
        const fetched = fetchMissing(page.results);
        running.add(fetched);
        void fetched.then(
          () => running.delete(fetched),
          () => undefined,
        );
        await checkpointPrevious();
        previous = { seq: read, fetched };
      }
      await checkpointPrevious();
    } catch (error) {
      // Nothing is left running behind a failure: the page still being fetched settles first.
      await Promise.allSettled(running);
      throw error;
    }
    return at;
  };

  const run = async (): Promise<void> => {
    let delay = 0;
    while (!signal.aborted) {
      try {
        emit({ kind: 'active' });
        const checkpoint = await target.readCheckpoint();
        held = checkpoint?.verified ? null : new Map(await target.currentRevisions());
        // The final pass compares the store with the feed as it stood when the first sync
        // began (what changes after that, the fill reads page by page, and then the live feed),
        // read now, beside the fill, rather than once more at its end.
        const feedAtStart = checkpoint?.verified ? null : changes(`since=0`);
        feedAtStart?.catch(() => undefined);
        if (checkpoint === null && tuning.newestFirst > 0) {
          // A first sync: the newest briefings before anything else.
          phase('newest-first');
          const newest = await changes(`descending=true&limit=${tuning.newestFirst}`);
          // Split across the requests allowed in flight: they are what the person waits for.
          await fetchMissing(newest.results, Math.ceil(tuning.newestFirst / tuning.inFlight));
        }
        phase('fill');
        let since = await catchUp(checkpoint?.since ?? 0, checkpoint?.verified ?? false);
        if (signal.aborted) return;
        if (!checkpoint?.verified) {
          // Nothing may be missing; the whole feed again proves it (and fetches what is).
          phase('final-pass');
          const feed = (await (feedAtStart ?? changes(`since=0`))).results;
          // What the store holds now, read afresh: the proof relies on nothing the pull kept.
          // Whatever is not certainly there is asked about revision by revision.
          held = null;
          const current = await target.currentRevisions();
          const found = await fetchMissing(
            feed.filter((change) => !certainlyHeld(change, current)),
          );
          if (found > 0)
            logger.warn('the final pass of the first sync fetched missed briefings', { found });
          await target.writeCheckpoint({ since, verified: true });
        }
        held = null;
        delay = 0;
        phase('live');
        emit({ kind: 'paused', error: null });
        for (;;) {
          // An empty long poll says nothing new: the pull stays paused, as it was.
          const page = await changes(
            `feed=longpoll&since=${encodeURIComponent(String(since))}&timeout=${tuning.longPollMs}&limit=${tuning.pageSize}`,
          );
          if (signal.aborted) return;
          if (page.results.length === 0) {
            // Nothing, or only what the broker leaves out: the feed's position still moves.
            if (String(page.last_seq) !== String(since)) {
              since = page.last_seq;
              await target.writeCheckpoint({ since, verified: true });
            }
            continue;
          }
          emit({ kind: 'active' });
          await fetchMissing(page.results);
          since = page.last_seq;
          await target.writeCheckpoint({ since, verified: true });
          emit({ kind: 'checkpoint', seq: since });
          since = await catchUp(since, true);
          emit({ kind: 'paused', error: null });
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof PullRequestError && (error.status === 401 || error.status === 403)) {
          // As PouchDB did: a refusal ends the pull; the sync service decides what follows.
          throw error;
        }
        emit({ kind: 'paused', error });
        delay = options.backOff(delay);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
    }
  };

  const done = run().then(
    () => {
      stopped = true;
      emit({ kind: 'stopped', error: null });
    },
    (error: unknown) => {
      stopped = true;
      emit({ kind: 'stopped', error });
    },
  );

  return {
    cancel: async () => {
      if (stopped) return;
      abort.abort();
      await done;
    },
  };
}
