// How the broker judges a request body before CouchDB sees it: the exact JSON shape replication
// sends to each POST/PUT endpoint, bounded, and never a reserved document id (`_design/…`,
// `_local/…`): devices neither read nor write those. A malformed body is a bad request (400); a
// well-formed write that reaches for a reserved id is forbidden (403). CouchDB's own rules
// (`_security`, validate_doc_update) stand behind this.
import { REV_PATTERN, SAMPLE_REV } from './query-rules.js';

export type BodyRefusal = { readonly status: 400 | 403; readonly reason: string };

export type BodyRule = {
  /** Judges the parsed JSON body; null when it may pass. */
  readonly check: (body: unknown) => BodyRefusal | null;
  /** A body this rule accepts, for the attack battery and the fuzz test. */
  readonly sample: unknown;
};

/** Documents, revisions or keys named in one request: generous for a batch, bounded for CouchDB. */
const MAX_ITEMS = 1000;
/** Revisions named for one document (`_revs_diff`, `atts_since`). */
const MAX_REVS = 100;
const ID_MAX = 1024;

const bad = (reason: string): BodyRefusal => ({ status: 400, reason });
const forbidden = (reason: string): BodyRefusal => ({ status: 403, reason });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[]): string | null {
  const extra = Object.keys(value).find((key) => !allowed.includes(key));
  return extra === undefined ? null : `unexpected field ${JSON.stringify(extra.slice(0, 40))}`;
}

/** A document id a device may name in a read: a non-empty string, not reserved. */
function idProblem(id: unknown): BodyRefusal | null {
  if (typeof id !== 'string' || id === '' || id.length > ID_MAX) return bad('bad document id');
  return id.startsWith('_') ? forbidden('reserved document id') : null;
}

function revsProblem(revs: unknown, allowEmpty: boolean): BodyRefusal | null {
  if (!Array.isArray(revs) || (!allowEmpty && revs.length === 0) || revs.length > MAX_REVS) {
    return bad(`revisions not an array of 1..${MAX_REVS}`);
  }
  return revs.every((rev) => typeof rev === 'string' && REV_PATTERN.test(rev))
    ? null
    : bad('not a revision id');
}

function listProblem(list: unknown, name: string): BodyRefusal | null {
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ITEMS) {
    return bad(`${name} not an array of 1..${MAX_ITEMS}`);
  }
  return null;
}

/** `_bulk_get`: `{"docs":[{"id","rev"?,"atts_since"?}]}`, what PouchDB and CouchDB replicators send. */
export const bulkGetBody: BodyRule = {
  check: (body) => {
    if (!isObject(body)) return bad('body not an object');
    // CouchDB's replicator repeats its query parameters in the body: `latest` only as the
    // broker forces it (true), so no old revision is asked for that way either.
    const extra = onlyKeys(body, ['docs', 'revs', 'attachments', 'latest']);
    if (extra) return bad(extra);
    for (const flag of ['revs', 'attachments'] as const) {
      if (body[flag] !== undefined && typeof body[flag] !== 'boolean') return bad(flag);
    }
    if (body['latest'] !== undefined && body['latest'] !== true) return bad('latest');
    const docs = body['docs'];
    const listed = listProblem(docs, 'docs');
    if (listed || !Array.isArray(docs)) return listed ?? bad('docs');
    for (const doc of docs) {
      if (!isObject(doc)) return bad('docs item not an object');
      const problem =
        (onlyKeys(doc, ['id', 'rev', 'atts_since']) && bad('unexpected field in docs item')) ||
        idProblem(doc['id']) ||
        (doc['rev'] !== undefined &&
          !(typeof doc['rev'] === 'string' && REV_PATTERN.test(doc['rev'])) &&
          bad('not a revision id')) ||
        (doc['atts_since'] !== undefined && revsProblem(doc['atts_since'], true));
      if (problem) return problem;
    }
    return null;
  },
  sample: { docs: [{ id: 'briefing:none', rev: SAMPLE_REV }] },
};

/** `_revs_diff`: `{"<id>":["<rev>",…],…}`. */
export const revsDiffBody: BodyRule = {
  check: (body) => {
    if (!isObject(body)) return bad('body not an object');
    const entries = Object.entries(body);
    if (entries.length === 0 || entries.length > MAX_ITEMS) {
      return bad(`not 1..${MAX_ITEMS} documents`);
    }
    for (const [id, revs] of entries) {
      const problem = idProblem(id) ?? revsProblem(revs, false);
      if (problem) return problem;
    }
    return null;
  },
  sample: { 'read-receipt:none': [SAMPLE_REV] },
};

/** `_all_docs` by keys: `{"keys":["<id>",…]}`. */
export const allDocsKeysBody: BodyRule = {
  check: (body) => {
    if (!isObject(body)) return bad('body not an object');
    const extra = onlyKeys(body, ['keys']);
    if (extra) return bad(extra);
    const keys = body['keys'];
    const listed = listProblem(keys, 'keys');
    if (listed || !Array.isArray(keys)) return listed ?? bad('keys');
    for (const key of keys) {
      const problem = idProblem(key);
      if (problem) return problem;
    }
    return null;
  },
  sample: { keys: ['briefing:none'] },
};

/** A document written by a device: an object whose `_id`, if any, is not reserved. */
function writtenDocProblem(doc: unknown): BodyRefusal | null {
  if (!isObject(doc)) return bad('document is not an object');
  const id = doc['_id'];
  if (id !== undefined && (typeof id !== 'string' || id.startsWith('_'))) {
    return forbidden('reserved document id in write');
  }
  return null;
}

/** `_bulk_docs` to returns: `{"docs":[…],"new_edits"?:bool}` (PouchDB's push). */
export const bulkDocsBody: BodyRule = {
  check: (body) => {
    if (!isObject(body)) return bad('body not an object');
    const extra = onlyKeys(body, ['docs', 'new_edits']);
    if (extra) return bad(extra);
    const docs = body['docs'];
    if (!Array.isArray(docs)) return bad('_bulk_docs body without a docs array');
    // How many documents one request may carry is the returns gate's to say (413, a configured
    // limit; returns-gate.ts), not a malformed body.
    if (body['new_edits'] !== undefined && typeof body['new_edits'] !== 'boolean') {
      return bad('new_edits not a boolean');
    }
    for (const doc of docs) {
      const problem = writtenDocProblem(doc);
      if (problem) return problem;
    }
    return null;
  },
  sample: { docs: [] },
};

/** `PUT` of one document to returns. */
export const docWriteBody: BodyRule = {
  check: writtenDocProblem,
  sample: { type: 'read-receipt' },
};
