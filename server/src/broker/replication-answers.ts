// What the broker answers itself, without CouchDB, for replication clients that are not PouchDB
// (CouchDB's own replicator pulling a person's database through the broker, e.g. a server-side
// reader): the two requests a CouchDB 3 replicator makes of its source beyond the allow-list.
//
// - `GET /db/<alias>/_local/<replication id>`: the replicator looks for its checkpoint on the
//   source before it starts. Checkpoints are never kept on the server for devices (allow-list.ts:
//   `_local/…` is not listed), so the honest answer is CouchDB's own "not found"; the replicator
//   then starts from the beginning and compares with `_revs_diff` against its own target. A
//   client must run with `use_checkpoints: false` (a checkpoint write would be refused).
// - `POST /db/<alias>/_ensure_full_commit`: CouchDB 3 commits every write at once and answers
//   this with `instance_start_time` "0"; so does the broker, for any database it serves.
//
// Nothing here reads or writes CouchDB, and the answers carry nothing about the person's data.
import { splitAlias } from './broker-policy.js';
import type { BrokerAlias } from './types.js';

/** A CouchDB replication id: 32 hex digits, then `+continuous` and/or `+create_target`. */
const REPLICATION_ID = /^[0-9a-f]{32}(\+(continuous|create_target)){0,2}$/;

export type ReplicationAnswer = {
  readonly alias: BrokerAlias;
  readonly status: 404 | 201;
  readonly body: Readonly<Record<string, unknown>>;
  /** For the audit trail. */
  readonly reason: string;
};

/** The broker's own answer to `method rawPath?rawQuery`, or null when it is not one of these. */
export function replicationAnswer(
  method: string,
  rawPath: string,
  rawQuery: string,
): ReplicationAnswer | null {
  const split = splitAlias(rawPath);
  if (!split || rawQuery !== '') return null;
  const { alias, rest } = split;
  if (method === 'POST' && rest === '/_ensure_full_commit') {
    return {
      alias,
      status: 201,
      body: { ok: true, instance_start_time: '0' },
      reason: 'ensure_full_commit answered by the broker',
    };
  }
  const local = /^\/_local\/([^/]+)$/.exec(rest);
  if ((method === 'GET' || method === 'HEAD') && local?.[1] && REPLICATION_ID.test(local[1])) {
    return {
      alias,
      status: 404,
      body: { error: 'not_found', reason: 'missing' },
      reason: 'no replication checkpoint on the server',
    };
  }
  return null;
}
