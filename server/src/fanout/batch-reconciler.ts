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
import type { Classification } from '../../../src/shared/briefing.js';
import pMap from 'p-map';
import type { SorAdapter, SorDocument, SorShareState } from '../sor/types.js';
import { SorRecordError } from '../sor/types.js';
import { applyForRecipient } from './recipient-writes.js';
import type { Plan } from './recipient-writes.js';
import { PermanentFailure, aboveCeiling, pairKey } from './reconcile-types.js';
import type { Effect, Pair, PairResult, ReconcileDeps } from './reconcile-types.js';
import { MalformedSorDocumentError, transformSorDocument } from './transform.js';
import type { TransformedBriefing } from './transform.js';

export { PermanentFailure, aboveCeiling, createRevisionCache, pairKey } from './reconcile-types.js';
export type {
  Effect,
  Pair,
  PairResult,
  ReconcileDeps,
  RevisionCache,
  RevisionEntry,
  Withheld,
} from './reconcile-types.js';

const MAX_ROUNDS = 3;

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
): Promise<Set<string>> {
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

  // Marked above the organisation's ceiling: the SOR is told why (once per version, before the
  // events are acked, so a failure retries), and the pair is reconciled as not shared.
  const withheld = new Set<string>();
  const ceiling = deps.ceiling;
  if (ceiling) {
    const failed = new Map<string, unknown>();
    for (const [sorId, source] of sources) {
      if (source.kind !== 'document') continue;
      const classification = source.briefing.doc.classification;
      if (!aboveCeiling(classification, ceiling.highest)) continue;
      withheld.add(sorId);
      try {
        await ceiling.notices.reportWithheld({
          idempotencyKey: `withheld:${sorId}:${source.doc.version}`,
          sorId,
          version: source.doc.version,
          classification,
          reason: ceilingReason(classification, ceiling.highest),
        });
      } catch (error) {
        failed.set(sorId, error);
      }
    }
    for (const pair of pairs) {
      const error = failed.get(pair.sorId);
      if (error !== undefined) results.set(pairKey(pair), { ok: false, error });
    }
  }

  const byRecipient = new Map<string, Plan[]>();
  for (const pair of pairs) {
    if (results.has(pairKey(pair))) continue;
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
    if (shared && source.kind === 'document' && withheld.has(pair.sorId)) {
      const classification = source.briefing.doc.classification;
      ceiling?.onWithheld?.({
        pair,
        version: source.doc.version,
        classification,
        reason: ceilingReason(classification, ceiling.highest),
      });
      plan = { pair, target: 'remove' };
    } else if (shared && source.kind === 'document') {
      plan = { pair, target: 'write', briefing: source.briefing };
    } else plan = { pair, target: 'remove' };
    const list = byRecipient.get(pair.recipient) ?? [];
    list.push(plan);
    byRecipient.set(pair.recipient, list);
  }
  await pMap(
    byRecipient,
    ([recipient, plans]) => applyForRecipient(deps, recipient, plans, results),
    { concurrency: Math.max(1, deps.concurrency) },
  );
  // A withheld pair is removed whatever its share state: no drift to look for.
  return new Set(pairs.filter((pair) => withheld.has(pair.sorId)).map(pairKey));
}

function ceilingReason(classification: string, highest: Classification): string {
  return `marked ${classification}, above the organisation's ceiling for devices (${highest}): not delivered`;
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
    const withheld = await reconcileRound(deps, todo, roundResults);
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
    todo = await driftedPairs(
      deps,
      todo.filter((pair) => !withheld.has(pairKey(pair))),
      roundResults,
    );
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
