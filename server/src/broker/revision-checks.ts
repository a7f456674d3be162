// The two questions the broker asks CouchDB about revisions before it forwards a read, so that a
// device gets the body and attachments of live leaves only:
// - is this `rev` a live leaf now? (a `rev` on a document or attachment read; an old revision of
//   an unshared briefing is still on disk until compaction, and CouchDB would serve it);
// - does the document's history hold these revisions at all? (reads that go upstream with
//   latest=true: express-pouchdb's `latest` throws outside any handler on a revision it does not
//   know, which ends the process).
// Both are asked as the user, like the read itself.
import type { IncomingHttpHeaders } from 'node:http';

/** One request upstream as the user, the answer read whole (bounded by the caller's port). */
export type UpstreamAsk = (
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: string,
) => Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>;

export class RevisionCheckError extends Error {
  readonly code = 'broker-revision-check';
}

export type RevisionChecks = {
  /** Whether `rev` is the winning revision or a live conflict of the document now. */
  isLiveLeaf(docPath: string, rev: string): Promise<boolean>;
  /** The `id rev` pairs the database's history does not hold (an empty list: all known). */
  unknownRevisions(
    dbPath: string,
    named: Readonly<Record<string, readonly string[]>>,
  ): Promise<string[]>;
};

/** Longest piece of an upstream answer kept in an error (for the log and audit trail only). */
const DETAIL_MAX = 512;

function failed(what: string, answer: { status: number; body: Buffer }): RevisionCheckError {
  const detail = answer.body.subarray(0, DETAIL_MAX).toString('utf8').replace(/\s+/g, ' ').trim();
  return new RevisionCheckError(`${what} answered ${answer.status}: ${detail}`);
}

function parse(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new RevisionCheckError(`${what} answered with something that is not JSON`);
  }
}

export function createRevisionChecks(ask: UpstreamAsk): RevisionChecks {
  const json = { accept: 'application/json' };
  return {
    async isLiveLeaf(docPath, rev) {
      // The winner and the live conflicts: exactly the leaves that are not deleted. A deleted
      // winner (an unshared briefing) answers 404: no live leaf at all.
      const answer = await ask('GET', `${docPath}?conflicts=true`, json);
      if (answer.status === 404) return false;
      if (answer.status !== 200) throw failed('the live-leaf check', answer);
      const doc = parse(answer.body, 'the live-leaf check') as {
        _rev?: unknown;
        _conflicts?: unknown;
      } | null;
      return doc?._rev === rev || (Array.isArray(doc?._conflicts) && doc._conflicts.includes(rev));
    },

    async unknownRevisions(dbPath, named) {
      if (Object.keys(named).length === 0) return [];
      const answer = await ask(
        'POST',
        `${dbPath}/_revs_diff`,
        { ...json, 'content-type': 'application/json' },
        JSON.stringify(named),
      );
      if (answer.status !== 200) throw failed('the revision history check', answer);
      const diff = parse(answer.body, 'the revision history check');
      if (typeof diff !== 'object' || diff === null) {
        throw new RevisionCheckError('the revision history check answered no object');
      }
      return Object.entries(diff as Record<string, { missing?: unknown }>).flatMap(([id, entry]) =>
        Array.isArray(entry?.missing) ? entry.missing.map((rev) => `${id} ${String(rev)}`) : [],
      );
    },
  };
}
