// Everything a device may ask of its two databases through the broker, in one table: per alias,
// per endpoint, per method, the query parameters replication sends (each with its value check),
// the body shape, and what the broker adds or takes out on the way. A request that the table does
// not describe exactly is refused: an unknown, repeated or badly valued parameter is 400, an
// endpoint or method not listed is 403. Extend this table, and only this table, when a feature
// needs another read (the attack battery and the fuzz test walk it, so new entries are tested).
//
// What is listed, and why (PouchDB 9's http adapter and replicator, CouchDB 3's replicator):
// - database info (`GET /db`): both replicators read it (update_seq, instance start).
// - `_changes` GET: pull replication. PouchDB sends style=all_docs, since, limit, feed=longpoll,
//   heartbeat (continuous feeds), include_docs (when the device filters with a function);
//   CouchDB's replicator sends feed=normal|continuous, style, since (JSON-quoted) and timeout.
//   The device's own pull (src/main/sync/pull.ts) sends the same, plus descending=true with a
//   limit once, on a first sync, to fetch the newest briefings before the rest: a read of the
//   same rows in the other order, nothing more.
//   POST `_changes` (doc_ids and selector filters) is not needed and not listed; `filter`, `view`
//   and every other filter parameter are refused (express-pouchdb ends its process on some).
// - `_bulk_get` POST: how both replicators fetch missing revisions (revs, latest, attachments);
//   the device's own pull asks for attachments inline, with atts_since in the body.
// - document GET: PouchDB's fallback without `_bulk_get` and CouchDB's replicator before 3.3
//   (revs, open_revs, latest, attachments, atts_since, att_encoding_info); `rev` and conflicts
//   for completeness.
// - attachment GET: PouchDB fetches each attachment of a pulled revision by `rev`.
// - `_all_docs`: reads by id (device scale builds on it); none of the replicators need it.
// - returns only: `_revs_diff` and `_bulk_docs` (PouchDB's push), `PUT` of one document.
// - not listed: `_local/…` (devices keep their checkpoints on the device: PouchDB's
//   `checkpoint: 'target'` pulling, `'source'` pushing), `_design/…`, `_security`, `_find`,
//   views, `_purge`, `_compact`, writes to briefings. CouchDB's own replicator (a client that is
//   not a device) looks for its checkpoint on the source and may ask for `_ensure_full_commit`:
//   the broker answers both itself (replication-answers.ts: no checkpoint, committed), so such a
//   client runs with `use_checkpoints: false`. Where one needs a checkpoint on the server, add
//   `_local/<replication id>` here with a small body limit; never `_local/_security`.
//
// Old revisions: a device gets the body or attachments of live leaves only. `open_revs` and
// `_bulk_get` reads go upstream with latest=true (CouchDB answers the newest leaf of each named
// branch: for an unshared briefing its tombstone), once the named revisions are known to be in
// the document's history; a `rev` on a document or attachment read is served only when it names
// a live leaf at that moment. Both are checked upstream first (revision-checks.ts).
//
// Design documents: never listed by path, refused in request bodies, and taken out of the rows
// of `_changes` and `_all_docs` answers on the way back (sequences untouched, so checkpoints
// stay correct).
import type { BodyRule } from './body-rules.js';
import {
  allDocsKeysBody,
  bulkDocsBody,
  bulkGetBody,
  docWriteBody,
  revsDiffBody,
} from './body-rules.js';
import type { ParamRule } from './query-rules.js';
import {
  booleanParam,
  docKeyParam,
  integerParam,
  oneOfParam,
  revListParam,
  revParam,
  sequenceParam,
  trueParam,
} from './query-rules.js';
import type { BrokerAlias } from './types.js';

export const ENDPOINTS = [
  'database',
  'changes',
  'all_docs',
  'bulk_get',
  'revs_diff',
  'bulk_docs',
  'document',
  'attachment',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
export type BrokerMethod = 'GET' | 'HEAD' | 'POST' | 'PUT';

/** What a request names, for the rule's revision extractor. */
export type RequestShape = {
  /** The document id (decoded) of a document or attachment read. */
  readonly docId?: string;
  readonly params: ReadonlyMap<string, string>;
  /** The parsed JSON body, where the endpoint takes one. */
  readonly body?: unknown;
};

/** A parameter the broker sets upstream, whatever the device sent; `when` names another one. */
export type ForcedParam = { readonly name: string; readonly value: string; readonly when?: string };

export type EndpointRule = {
  readonly params: Readonly<Record<string, ParamRule>>;
  /** Parameters that may not come together. */
  readonly exclusive?: readonly (readonly [string, string])[];
  readonly forced?: readonly ForcedParam[];
  /** The JSON body this endpoint takes; none means no body at all. */
  readonly body?: BodyRule;
  /** A `rev` parameter must name a live leaf now (no body of an old or deleted revision). */
  readonly liveLeafRev?: boolean;
  /**
   * The revisions a newest-leaf read names (it goes upstream with latest=true), per document id.
   * Each must be in the document's history before the read is forwarded: express-pouchdb's
   * `latest` ends its process on a revision it does not know.
   */
  readonly namedRevisions?: (request: RequestShape) => Record<string, readonly string[]>;
  /** Rows naming design (and any reserved) documents are taken out of the answer. */
  readonly hideReservedRows?: boolean;
};

export type AliasRules = Readonly<
  Partial<Record<Endpoint, Readonly<Partial<Record<BrokerMethod, EndpointRule>>>>>
>;

const NO_PARAMS: EndpointRule = { params: {} };

const CHANGES: EndpointRule = {
  params: {
    feed: oneOfParam('normal', 'longpoll', 'continuous'),
    style: oneOfParam('all_docs'),
    since: sequenceParam(),
    limit: integerParam(0, 10_000),
    // PouchDB sends 10 s; much below 100 ms the feed would be mostly newlines.
    heartbeat: integerParam(100, 60_000),
    timeout: integerParam(1_000, 300_000),
    include_docs: booleanParam(),
    descending: booleanParam(),
  },
  hideReservedRows: true,
};

const BULK_GET: EndpointRule = {
  params: { revs: booleanParam(), latest: trueParam(), attachments: booleanParam() },
  forced: [{ name: 'latest', value: 'true' }],
  body: bulkGetBody,
  // The body passed bulkGetBody: docs is a list of {id, rev?}.
  namedRevisions: ({ body }) => {
    const named = new Map<string, string[]>();
    for (const { id, rev } of (body as { docs: { id: string; rev?: string }[] }).docs) {
      if (rev !== undefined) named.set(id, [...(named.get(id) ?? []), rev]);
    }
    return Object.fromEntries(named);
  },
};

const ALL_DOCS_PARAMS = {
  include_docs: booleanParam(),
  conflicts: booleanParam(),
  descending: booleanParam(),
  limit: integerParam(0, 10_000),
  skip: integerParam(0, 10_000),
  key: docKeyParam({ allowReserved: false }),
  startkey: docKeyParam({ allowReserved: true }),
  endkey: docKeyParam({ allowReserved: true }),
  inclusive_end: booleanParam(),
  update_seq: booleanParam(),
} as const;

const DOCUMENT_READ: EndpointRule = {
  params: {
    revs: booleanParam(),
    open_revs: revListParam(100, { allowAll: true }),
    latest: trueParam(),
    rev: revParam(),
    attachments: booleanParam(),
    atts_since: revListParam(100, { allowAll: false }),
    att_encoding_info: booleanParam(),
    conflicts: booleanParam(),
  },
  exclusive: [['rev', 'open_revs']],
  forced: [{ name: 'latest', value: 'true', when: 'open_revs' }],
  liveLeafRev: true,
  // open_revs passed revListParam: `all` (leaves only, nothing to check) or a list of revisions.
  namedRevisions: ({ docId, params }) => {
    const revs = params.get('open_revs');
    return docId === undefined || revs === undefined || revs === 'all'
      ? {}
      : { [docId]: JSON.parse(revs) as string[] };
  },
};

const ATTACHMENT_READ: EndpointRule = { params: { rev: revParam() }, liveLeafRev: true };

const READS: AliasRules = {
  database: { GET: NO_PARAMS, HEAD: NO_PARAMS },
  changes: { GET: CHANGES },
  all_docs: {
    GET: { params: ALL_DOCS_PARAMS, hideReservedRows: true },
    // By keys in the body: ranges and single keys do not combine with them (CouchDB: 400).
    POST: {
      params: {
        include_docs: booleanParam(),
        conflicts: booleanParam(),
        update_seq: booleanParam(),
      },
      body: allDocsKeysBody,
      hideReservedRows: true,
    },
  },
  bulk_get: { POST: BULK_GET },
  document: { GET: DOCUMENT_READ, HEAD: DOCUMENT_READ },
  attachment: { GET: ATTACHMENT_READ, HEAD: ATTACHMENT_READ },
};

export const ALLOW_LIST: Readonly<Record<BrokerAlias, AliasRules>> = {
  // Pulled by devices, written only by the server.
  briefings: READS,
  // Pushed by devices (read receipts, notes), and pulled live by the person's other devices.
  returns: {
    ...READS,
    revs_diff: { POST: { params: {}, body: revsDiffBody } },
    bulk_docs: { POST: { params: {}, body: bulkDocsBody } },
    document: { ...READS.document, PUT: { params: {}, body: docWriteBody } },
  },
};

/** The rule for one request, or undefined when the table does not list it. */
export function ruleFor(
  alias: BrokerAlias,
  endpoint: Endpoint,
  method: string,
): EndpointRule | undefined {
  return ALLOW_LIST[alias][endpoint]?.[method as BrokerMethod];
}
