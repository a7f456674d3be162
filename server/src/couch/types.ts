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
  createDb(db: string): Promise<'created' | 'exists'>;
  /** null when the document does not exist or is deleted. */
  getDoc(db: string, id: string): Promise<CouchDoc | null>;
  /** Throws CouchError 'conflict' when `_rev` is not the current revision. */
  putDoc(db: string, doc: CouchDoc): Promise<{ rev: string }>;
  /** Throws CouchError 'conflict' when `rev` is not the current revision. */
  deleteDoc(db: string, id: string, rev: string): Promise<void>;
  getSecurity(db: string): Promise<Partial<SecurityObject>>;
  putSecurity(db: string, security: SecurityObject): Promise<void>;
  /** The user name CouchDB authenticates `credentials` as, or null if it refuses them. */
  authenticate(credentials: CouchCredentials): Promise<string | null>;
};

/** A CouchDB-protocol server this process runs itself (embedded mode). */
export type EmbeddedCouch = {
  readonly url: string;
  stop(): Promise<void>;
};
