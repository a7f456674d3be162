// Contract of the audit trail: who did what, and what the server decided. Callers record
// entries; the trail adds the time, its position and the hash chain (audit-trail.ts).

export type AuditEntry = {
  /** What happened, dotted: broker.request, fanout.share, fanout.unshare, returns.write, ... */
  readonly action: string;
  /** The user concerned (the token subject, the recipient, the author), or null. */
  readonly user: string | null;
  /** For security decisions: allowed or refused. */
  readonly decision?: 'allowed' | 'refused';
  readonly reason?: string;
  readonly [detail: string]: unknown;
};

export type AuditLog = {
  /** Appends an entry. Never throws: a failing trail is logged loudly and retried. */
  record(entry: AuditEntry): void;
  /** Flushes what was recorded and closes the trail. */
  close(): Promise<void>;
};

/**
 * One line of the trail file: the entry's fields, flat (so that log tools read them as usual),
 * plus the chain fields below. Entry fields that collide with a chain field keep their value
 * under `entry.<name>`.
 */
export type AuditRecord = {
  /** 1, 2, 3, ... without gaps within one file. */
  readonly seq: number;
  readonly at: string;
  /** The server instance that wrote it (several instances write several files). */
  readonly instance: string;
  /** `hash` of the previous record (64 zeros for the first). */
  readonly prev: string;
  /** sha256 (hex) of the canonical JSON of this record without `hash`. */
  readonly hash: string;
  readonly [field: string]: unknown;
};

/** The latest record of a trail, kept beside it (`<file>.head.json`) so truncation shows. */
export type AuditHead = { readonly seq: number; readonly hash: string; readonly at: string };

export const GENESIS_HASH = '0'.repeat(64);
export const CHAIN_FIELDS = ['seq', 'at', 'instance', 'prev', 'hash'] as const;
