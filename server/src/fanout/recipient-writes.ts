// One recipient's share of a batch: every briefing to write or remove in that person's database,
// in one `_all_docs` read and one `_bulk_docs` write (the fast path), falling back to one
// document at a time where the bulk write conflicts or is refused (briefing-writer.ts).
import { briefingDocId } from '../../../src/shared/briefing.js';
import type { CouchAttachmentStub, CouchDoc } from '../couch/types.js';
import { CouchError } from '../couch/types.js';
import { removeBriefing, upsertBriefing } from './briefing-writer.js';
import { PermanentFailure, pairKey } from './reconcile-types.js';
import type { Pair, PairResult, ReconcileDeps } from './reconcile-types.js';
import type { TransformedBriefing } from './transform.js';
import type { FanoutOutcome } from './types.js';
import { userDbNames } from '../user-dbs/user-dbs.js';

export type Plan =
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
export async function applyForRecipient(
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
