// Reconciles a batch of (document, recipient) pairs with the SOR's current truth, writing to each
// recipient's briefings database with one `_all_docs` read and one `_bulk_docs` write per
// database (the fast path), and falling back to one document at a time where the bulk write
// conflicts or is refused (the careful path, briefing-writer.ts).
//
// Idempotent: an equal content hash writes nothing, a newer stored version is never overwritten,
// a document not shared (any more) is deleted, an absent one stays absent. After writing or
// deleting, the SOR is asked again: if the pair's share state moved meanwhile (an unshare raced
// a share being written by another worker), the pair is reconciled again, so the last writer
// always acts on the latest truth.
import pMap from 'p-map';
import { briefingDocId } from '../../../src/shared/briefing.js';
import type { CouchAttachmentStub, CouchClient, CouchDoc } from '../couch/types.js';
import { CouchError } from '../couch/types.js';
import type { SorAdapter, SorDocument, SorShareState } from '../sor/types.js';
import { SorRecordError } from '../sor/types.js';
import { removeBriefing, upsertBriefing } from './briefing-writer.js';
import { MalformedSorDocumentError, transformSorDocument } from './transform.js';
import type { TransformedBriefing } from './transform.js';
import type { FanoutOutcome } from './types.js';
import { userDbNames } from '../user-dbs/user-dbs.js';
import type { UserDbs } from '../user-dbs/user-dbs.js';

/** A failure no retry can fix: the events go to the dead-letter queue with this reason. */
export class PermanentFailure extends Error {
  readonly permanent = true;
}

export type Pair = { readonly sorId: string; readonly recipient: string };

export type PairResult =
  | {
      readonly ok: true;
      readonly outcome: FanoutOutcome;
      /** The version written (or found unchanged/stale) when shared. */
      readonly version?: number;
    }
  | { readonly ok: false; readonly error: unknown };

export type Effect = {
  readonly pair: Pair;
  readonly outcome: 'written' | 'deleted';
  readonly version?: number;
};

export type ReconcileDeps = {
  readonly sor: SorAdapter;
  readonly couch: CouchClient;
  readonly userDbs: UserDbs;
  /** Databases written in parallel. */
  readonly concurrency: number;
  /**
   * Called as soon as a write or delete returned, before anything else runs, so that a crash
   * later in the batch cannot lose the record of it (the audit trail uses this).
   */
  readonly onEffect?: (effect: Effect) => void;
  /**
   * Revisions this worker wrote itself. With it, new briefings are created without reading
   * first and changed ones are written with the remembered _rev; a conflict (someone else wrote
   * meanwhile) falls back to reading. Without it, every write reads the stored document first.
   */
  readonly revisions?: RevisionCache;
};

export type RevisionEntry = {
  readonly rev: string;
  readonly contentHash: string;
  readonly version: number;
  readonly attachments: Readonly<Record<string, CouchAttachmentStub>>;
};

/** A bounded, least-recently-used map of (database, document) to what this worker wrote. */
export type RevisionCache = {
  get(db: string, id: string): RevisionEntry | undefined;
  set(db: string, id: string, entry: RevisionEntry): void;
  delete(db: string, id: string): void;
};

export function createRevisionCache(maxEntries = 100_000): RevisionCache {
  const entries = new Map<string, RevisionEntry>();
  const keyOf = (db: string, id: string) => `${db}\u0000${id}`;
  return {
    get(db, id) {
      const key = keyOf(db, id);
      const entry = entries.get(key);
      if (entry) {
        entries.delete(key); // move to the most recently used end
        entries.set(key, entry);
      }
      return entry;
    },
    set(db, id, entry) {
      const key = keyOf(db, id);
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    delete(db, id) {
      entries.delete(keyOf(db, id));
    },
  };
}

const MAX_ROUNDS = 3;

export const pairKey = (pair: Pair) => `${pair.sorId}\u0000${pair.recipient}`;

type Source =
  | { readonly kind: 'missing' }
  | { readonly kind: 'document'; readonly doc: SorDocument; readonly briefing: TransformedBriefing }
  | { readonly kind: 'malformed'; readonly doc: SorDocument; readonly error: PermanentFailure }
  | { readonly kind: 'failed'; readonly error: unknown };

async function loadSource(sor: SorAdapter, sorId: string): Promise<Source> {
  try {
    const doc = await sor.fetchDocument(sorId);
    if (!doc) return { kind: 'missing' };
    try {
      return { kind: 'document', doc, briefing: transformSorDocument(doc) };
    } catch (error) {
      if (error instanceof MalformedSorDocumentError) {
        return { kind: 'malformed', doc, error: new PermanentFailure(error.message) };
      }
      throw error;
    }
  } catch (error) {
    if (error instanceof SorRecordError) {
      return { kind: 'failed', error: new PermanentFailure(error.message) };
    }
    return { kind: 'failed', error };
  }
}

type Plan =
  | { readonly pair: Pair; readonly target: 'write'; readonly briefing: TransformedBriefing }
  | { readonly pair: Pair; readonly target: 'remove' };

// Base64 of attachment bytes, once per batch however many recipients get the same document.
const base64Cache = new WeakMap<Uint8Array, string>();
function base64Of(data: Uint8Array): string {
  let text = base64Cache.get(data);
  if (text === undefined) {
    text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
    base64Cache.set(data, text);
  }
  return text;
}

function docToWrite(briefing: TransformedBriefing, existing: CouchDoc | null): CouchDoc {
  const stored = existing?._attachments ?? {};
  const attachments: Record<string, CouchAttachmentStub> = {};
  for (const a of briefing.attachments) {
    const previous = stored[a.name];
    attachments[a.name] =
      previous?.digest === a.couchDigest && previous.content_type === a.contentType
        ? { content_type: a.contentType, digest: a.couchDigest, stub: true }
        : { content_type: a.contentType, data: base64Of(a.data) };
  }
  return {
    _id: briefing.id,
    ...(existing?._rev ? { _rev: existing._rev } : {}),
    ...briefing.doc,
    _attachments: attachments,
  };
}

/** The attachment stubs CouchDB keeps for a briefing we wrote (to send stubs next time). */
function stubsOf(briefing: TransformedBriefing): Record<string, CouchAttachmentStub> {
  const stubs: Record<string, CouchAttachmentStub> = {};
  for (const a of briefing.attachments) {
    stubs[a.name] = { content_type: a.contentType, digest: a.couchDigest, stub: true };
  }
  return stubs;
}

const isPermanentCouchError = (error: unknown) =>
  error instanceof CouchError &&
  (error.code === 'too_large' || error.code === 'bad_request' || error.code === 'forbidden');

/** Writes one recipient's plans: bulk first, one by one where the bulk write fell short. */
async function applyForRecipient(
  deps: ReconcileDeps,
  recipient: string,
  plans: readonly Plan[],
  results: Map<string, PairResult>,
): Promise<void> {
  const settle = (pair: Pair, result: PairResult) => {
    results.set(pairKey(pair), result);
    if (result.ok && (result.outcome === 'written' || result.outcome === 'deleted')) {
      deps.onEffect?.({
        pair,
        outcome: result.outcome,
        ...(result.version ? { version: result.version } : {}),
      });
    }
  };
  const writes = plans.filter((p) => p.target === 'write');
  let db: string;
  try {
    db =
      writes.length > 0
        ? (await deps.userDbs.ensure(recipient)).briefings
        : userDbNames(recipient).briefings;
  } catch (error) {
    for (const plan of plans) results.set(pairKey(plan.pair), { ok: false, error });
    return;
  }

  type BulkItem = { plan: Plan; doc: CouchDoc; outcome: FanoutOutcome; version?: number };
  const bulk: BulkItem[] = [];
  const cache = deps.revisions;

  // What can be written without reading first: a briefing this worker never wrote here (create;
  // if it exists after all, CouchDB answers "conflict" and the careful path reads it), one it
  // wrote with other content (update with the remembered _rev), one it wrote and must remove.
  // Everything else (possibly unchanged or stale, or unknown and to be removed) is read first:
  // deciding "nothing to do" needs CouchDB's word, not our memory.
  const toRead: Plan[] = [];
  for (const plan of plans) {
    const id = briefingDocId(plan.pair.sorId);
    const known = cache?.get(db, id);
    if (plan.target === 'remove') {
      if (known) {
        bulk.push({ plan, doc: { _id: id, _rev: known.rev, _deleted: true }, outcome: 'deleted' });
      } else toRead.push(plan);
      continue;
    }
    const { contentHash, sourceVersion: version } = plan.briefing.doc;
    if (!cache) toRead.push(plan);
    else if (!known) {
      bulk.push({ plan, doc: docToWrite(plan.briefing, null), outcome: 'written', version });
    } else if (known.contentHash === contentHash || known.version > version) toRead.push(plan);
    else {
      const remembered = { _id: id, _rev: known.rev, _attachments: known.attachments };
      bulk.push({ plan, doc: docToWrite(plan.briefing, remembered), outcome: 'written', version });
    }
  }

  if (toRead.length > 0) {
    let rows;
    try {
      rows = await deps.couch.allDocs(
        db,
        toRead.map((p) => briefingDocId(p.pair.sorId)),
        { includeDocs: true },
      );
    } catch (error) {
      const noDb = error instanceof CouchError && error.code === 'not_found';
      for (const plan of toRead) {
        results.set(
          pairKey(plan.pair),
          // No database yet: nothing to remove.
          noDb && plan.target === 'remove' ? { ok: true, outcome: 'absent' } : { ok: false, error },
        );
      }
      rows = null;
    }
    const existing = new Map<string, CouchDoc>();
    for (const row of rows ?? []) {
      if (row.doc && !row.value?.deleted) existing.set(row.key, row.doc);
    }
    for (const plan of rows ? toRead : []) {
      const id = briefingDocId(plan.pair.sorId);
      const current = existing.get(id) ?? null;
      const key = pairKey(plan.pair);
      if (plan.target === 'remove') {
        if (!current?._rev) results.set(key, { ok: true, outcome: 'absent' });
        else
          bulk.push({
            plan,
            doc: { _id: id, _rev: current._rev, _deleted: true },
            outcome: 'deleted',
          });
        continue;
      }
      const version = plan.briefing.doc.sourceVersion;
      if (current && current['contentHash'] === plan.briefing.doc.contentHash) {
        results.set(key, { ok: true, outcome: 'unchanged', version });
        continue;
      }
      const storedVersion = current?.['sourceVersion'];
      if (typeof storedVersion === 'number' && storedVersion > version) {
        results.set(key, { ok: true, outcome: 'stale', version: storedVersion });
        continue;
      }
      bulk.push({ plan, doc: docToWrite(plan.briefing, current), outcome: 'written', version });
    }
  }
  if (bulk.length === 0) return;

  let careful: BulkItem[] = [];
  try {
    const answers = await deps.couch.bulkDocs(
      db,
      bulk.map((b) => b.doc),
    );
    // Matched by id, not by position: express-pouchdb does not always answer in request order
    // (ids are unique within one request).
    const byId = new Map(answers.map((a) => [a.id, a]));
    bulk.forEach((item) => {
      const answer = byId.get(item.doc._id);
      const key = pairKey(item.plan.pair);
      if (answer && !answer.error) {
        if (item.plan.target === 'write' && answer.rev) {
          cache?.set(db, item.doc._id, {
            rev: answer.rev,
            contentHash: item.plan.briefing.doc.contentHash,
            version: item.plan.briefing.doc.sourceVersion,
            attachments: stubsOf(item.plan.briefing),
          });
        } else cache?.delete(db, item.doc._id);
        settle(item.plan.pair, {
          ok: true,
          outcome: item.outcome,
          ...(item.version ? { version: item.version } : {}),
        });
      } else if (answer?.error === 'conflict' || !answer) {
        careful.push(item);
      } else if (answer.error === 'forbidden' || answer.error === 'bad_request') {
        results.set(key, {
          ok: false,
          error: new PermanentFailure(
            `CouchDB refused ${item.doc._id} in ${db}: ${answer.reason ?? answer.error}`,
          ),
        });
      } else {
        careful.push(item);
      }
    });
  } catch (error) {
    // One oversized or refused document fails the whole request: isolate it.
    if (isPermanentCouchError(error)) careful = bulk;
    else {
      for (const item of bulk) results.set(pairKey(item.plan.pair), { ok: false, error });
      return;
    }
  }

  for (const item of careful) {
    const key = pairKey(item.plan.pair);
    cache?.delete(db, item.doc._id); // what we remembered was wrong or is about to be
    try {
      const outcome =
        item.plan.target === 'write'
          ? await upsertBriefing(deps.couch, db, item.plan.briefing)
          : await removeBriefing(deps.couch, db, item.doc._id);
      settle(item.plan.pair, {
        ok: true,
        outcome,
        ...(item.plan.target === 'write' ? { version: item.plan.briefing.doc.sourceVersion } : {}),
      });
    } catch (error) {
      results.set(key, {
        ok: false,
        error: isPermanentCouchError(error)
          ? new PermanentFailure(error instanceof Error ? error.message : String(error))
          : error,
      });
    }
  }
}

/**
 * Longest stretch of a batch's SOR reading and transforming without a turn of the event loop.
 * That work is CPU bound and, with an SOR that answers at once (the in-process demo SOR, or
 * replies that arrived together), never waits: a batch of 200 documents held the loop for 100 ms
 * and more, while the other batches' CouchDB replies waited and CouchDB ran out of work.
 */
const YIELD_EVERY_MS = 10;

/** A function that gives the event loop a turn once `ms` have passed since its last turn. */
function pauseEvery(ms: number): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < ms) return;
    await new Promise((resolve) => setImmediate(resolve));
    since = performance.now();
  };
}

/** One round: read the SOR, decide, write. */
async function reconcileRound(
  deps: ReconcileDeps,
  pairs: readonly Pair[],
  results: Map<string, PairResult>,
): Promise<void> {
  const sources = new Map<string, Source>();
  const pause = pauseEvery(YIELD_EVERY_MS);
  await pMap(
    new Set(pairs.map((p) => p.sorId)),
    async (sorId) => {
      await pause();
      sources.set(sorId, await loadSource(deps.sor, sorId));
    },
    { concurrency: Math.max(1, deps.concurrency * 2) },
  );

  const byRecipient = new Map<string, Plan[]>();
  for (const pair of pairs) {
    const source = sources.get(pair.sorId)!;
    let plan: Plan;
    if (source.kind === 'failed') {
      results.set(pairKey(pair), { ok: false, error: source.error });
      continue;
    }
    const shared = source.kind !== 'missing' && source.doc.recipients.includes(pair.recipient);
    if (shared && source.kind === 'malformed') {
      results.set(pairKey(pair), { ok: false, error: source.error });
      continue;
    }
    if (shared && source.kind === 'document')
      plan = { pair, target: 'write', briefing: source.briefing };
    else plan = { pair, target: 'remove' };
    const list = byRecipient.get(pair.recipient) ?? [];
    list.push(plan);
    byRecipient.set(pair.recipient, list);
  }
  await pMap(
    byRecipient,
    ([recipient, plans]) => applyForRecipient(deps, recipient, plans, results),
    { concurrency: Math.max(1, deps.concurrency) },
  );
}

/** Pairs whose write or delete no longer matches the SOR's share state. */
async function driftedPairs(
  deps: ReconcileDeps,
  pairs: readonly Pair[],
  results: Map<string, PairResult>,
): Promise<Pair[]> {
  const touched = pairs.filter((p) => {
    const r = results.get(pairKey(p));
    return r?.ok && (r.outcome === 'written' || r.outcome === 'deleted');
  });
  const states = new Map<string, SorShareState | null | 'error'>();
  await pMap(
    new Set(touched.map((p) => p.sorId)),
    async (sorId) => {
      try {
        states.set(sorId, await deps.sor.fetchShareState(sorId));
      } catch {
        states.set(sorId, 'error');
      }
    },
    { concurrency: Math.max(1, deps.concurrency * 2) },
  );
  return touched.filter((pair) => {
    const state = states.get(pair.sorId);
    if (state === 'error') return true; // cannot confirm: look again
    const result = results.get(pairKey(pair)) as Extract<PairResult, { ok: true }>;
    const sharedNow =
      state !== null && state !== undefined && state.recipients.includes(pair.recipient);
    if (result.outcome === 'deleted') return sharedNow;
    return !sharedNow || state?.version !== result.version;
  });
}

/**
 * Reconciles every pair. `results` says, per pair, how it ended or why it failed (a
 * PermanentFailure: dead-letter; anything else: retry later); `effects` lists every write and
 * delete made on the way (for the audit trail).
 */
export async function reconcilePairs(
  deps: ReconcileDeps,
  pairs: readonly Pair[],
): Promise<{ results: Map<string, PairResult>; effects: Effect[] }> {
  const results = new Map<string, PairResult>();
  const effects: Effect[] = [];
  let todo: readonly Pair[] = pairs;
  for (let round = 0; round < MAX_ROUNDS && todo.length > 0; round += 1) {
    const roundResults = new Map<string, PairResult>();
    await reconcileRound(deps, todo, roundResults);
    for (const pair of todo) {
      const result = roundResults.get(pairKey(pair));
      if (!result) continue;
      results.set(pairKey(pair), result);
      if (result.ok && (result.outcome === 'written' || result.outcome === 'deleted')) {
        effects.push({
          pair,
          outcome: result.outcome,
          ...(result.version ? { version: result.version } : {}),
        });
      }
    }
    todo = await driftedPairs(deps, todo, roundResults);
  }
  for (const pair of todo) {
    results.set(pairKey(pair), {
      ok: false,
      error: new Error(
        `The SOR's share state of ${pair.sorId} kept changing while it was written.`,
      ),
    });
  }
  return { results, effects };
}
