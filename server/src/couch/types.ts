// Contract for talking to CouchDB. Everything goes through CouchDB's HTTP API, so the embedded
// express-pouchdb server and a production Apache CouchDB 3.x behave the same to the callers.

export type CouchCredentials = { readonly username: string; readonly password: string };

export type CouchErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'bad_request'
  | 'too_large'
  | 'unavailable'
  | 'server_error';

/** A failed CouchDB call; `code` is stable, `reason` is CouchDB's own explanation. */
export class CouchError extends Error {
  constructor(
    readonly code: CouchErrorCode,
    readonly status: number,
    readonly reason: string,
    readonly operation: string,
  ) {
    super(`CouchDB ${operation} failed: ${code} (${status}): ${reason}`);
    this.name = 'CouchError';
  }
}

export type CouchAttachmentStub = {
  readonly content_type: string;
  readonly digest?: string;
  readonly length?: number;
  readonly stub?: boolean;
  /** base64, on writes */
  readonly data?: string;
};

export type CouchDoc = {
  readonly _id: string;
  readonly _rev?: string;
  readonly _deleted?: boolean;
  readonly _attachments?: Readonly<Record<string, CouchAttachmentStub>>;
  readonly [field: string]: unknown;
};

export type SecurityObject = {
  readonly admins: { readonly names: readonly string[]; readonly roles: readonly string[] };
  readonly members: { readonly names: readonly string[]; readonly roles: readonly string[] };
};

export type CouchClient = {
  readonly url: string;
  /** true when the server answers and accepts the client's credentials. */
  ping(): Promise<boolean>;
  /** `q`: shards of the new database on a CouchDB cluster (per-user databases use 1). */
  createDb(db: string, options?: { q?: number }): Promise<'created' | 'exists'>;
  /** null when the document does not exist or is deleted. `conflicts` adds `_conflicts`. */
  getDoc(db: string, id: string, options?: { conflicts?: boolean }): Promise<CouchDoc | null>;
  /**
   * Throws CouchError 'conflict' when `_rev` is not the current revision. `committed` is false
   * when a cluster accepted the write without reaching its write quorum (HTTP 202).
   */
  putDoc(db: string, doc: CouchDoc): Promise<{ rev: string; committed?: boolean }>;
  /** `_bulk_docs`: one result per document, in order; per-document errors are values. */
  bulkDocs(db: string, docs: readonly CouchDoc[]): Promise<BulkDocResult[]>;
  /** `_all_docs` for these ids (rows of missing ids carry `error`, of deleted ones `value.deleted`). */
  allDocs(
    db: string,
    keys: readonly string[],
    options?: { includeDocs?: boolean },
  ): Promise<AllDocsRow[]>;
  /** One page of `_changes` (normal feed). Throws CouchError 'not_found' for a missing database. */
  changes(
    db: string,
    options: { since: string; limit: number; includeDocs?: boolean },
  ): Promise<ChangesPage>;
  /** Names of all databases (service admin only). */
  allDbs(): Promise<string[]>;
  /**
   * `_db_updates` (service admin only): the databases written after `since` ('now': none, only
   * the current sequence), waiting up to `waitMs` for one when there is none (0: answers at
   * once). Throws CouchError 'bad_request' for a sequence the server does not know (the embedded
   * server after a restart): the caller may have missed updates.
   */
  dbUpdates(options: {
    since: string;
    limit: number;
    waitMs: number;
    signal?: AbortSignal;
  }): Promise<{ dbNames: string[]; lastSeq: string }>;
  /** Documents whose ids start with `prefix`, in id order, at most `limit` (`_all_docs` range). */
  docsWithPrefix(db: string, prefix: string, limit: number): Promise<CouchDoc[]>;
  /**
   * Compacts a database (service admin only) and resolves once the compaction has finished:
   * old revisions' bodies and attachments are gone from the database's files. Apache CouchDB
   * compacts in the background (polled here); the embedded server answers when it is done.
   */
  compact(db: string): Promise<void>;
  /** Throws CouchError 'conflict' when `rev` is not the current revision. */
  deleteDoc(db: string, id: string, rev: string): Promise<void>;
  getSecurity(db: string): Promise<Partial<SecurityObject>>;
  putSecurity(db: string, security: SecurityObject): Promise<void>;
  /** The user name CouchDB authenticates `credentials` as, or null if it refuses them. */
  authenticate(credentials: CouchCredentials): Promise<string | null>;
  /**
   * Who CouchDB takes a request with this `Authorization` header for (`/_session`): the user
   * name, null for nobody; CouchDB's refusal (a bad token answers 400 or 401) as `refusal`.
   */
  sessionName(authorization: string): Promise<{ name: string | null; refusal?: string }>;
};

export type BulkDocResult = {
  readonly id: string;
  readonly rev?: string;
  readonly ok?: boolean;
  readonly error?: string;
  readonly reason?: string;
};

export type AllDocsRow = {
  readonly key: string;
  readonly id?: string;
  readonly value?: { readonly rev: string; readonly deleted?: boolean };
  readonly doc?: CouchDoc | null;
  readonly error?: string;
};

export type ChangesPage = {
  readonly results: readonly {
    readonly seq: string | number;
    readonly id: string;
    readonly deleted?: boolean;
    readonly doc?: CouchDoc;
  }[];
  /** Opaque (a number on express-pouchdb, a string on CouchDB 3): pass back as `since`. */
  readonly lastSeq: string;
};

/** The embedded CouchDB-protocol server, listening on a Unix domain socket. */
export type EmbeddedCouch = {
  readonly socketPath: string;
  stop(): Promise<void>;
};

/**
 * Where CouchDB answers: Apache CouchDB at a URL (production), or the embedded server on a Unix
 * socket (`url` then only names the HTTP origin the requests carry).
 */
export type CouchEndpoint = { readonly url: string; readonly socketPath: string | null };
