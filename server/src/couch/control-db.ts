// The server's own control database in CouchDB: leases (which instance polls the SOR, which one
// runs the returns integrator), the SOR cursor, and the returns checkpoints. It lives in CouchDB
// because every instance can see it there; only the service admin may read or write it.
import { ensureSecurity } from './security.js';
import type { CouchClient } from './types.js';
import { CouchError } from './types.js';

export const CONTROL_DB = 'attache-control';
/** Where Apache CouchDB keeps the `_db_updates` feed. */
const GLOBAL_CHANGES_DB = '_global_changes';

export async function ensureControlDb(couch: CouchClient, serviceAdminName: string): Promise<void> {
  // q=1: a handful of small documents, updated with compare-and-swap; one shard keeps every
  // update of one document on one shard range.
  await couch.createDb(CONTROL_DB, { q: 1 });
  // CouchDB 3 makes a database without members admin-only; express-pouchdb makes it public, so
  // members always name the service (admins pass anyway; users are not members).
  // Written only when it differs: on Apache CouchDB a `_security` write moves the database's
  // sequence, and every instance runs this at every start.
  await ensureSecurity(couch, CONTROL_DB, {
    admins: { names: [serviceAdminName], roles: [] },
    members: { names: [serviceAdminName], roles: [] },
  });
}

/**
 * Makes sure `_db_updates` answers: Apache CouchDB keeps that feed in its `_global_changes`
 * database, which its single-node or cluster setup creates; a node set up by hand may lack it
 * (the feed then answers 404). The embedded server always answers the feed.
 */
export async function ensureDbUpdatesFeed(couch: CouchClient): Promise<'ready' | 'created'> {
  try {
    await couch.dbUpdates({ since: 'now', limit: 1, waitMs: 0 });
    return 'ready';
  } catch (error) {
    if (!(error instanceof CouchError && error.code === 'not_found')) throw error;
  }
  await couch.createDb(GLOBAL_CHANGES_DB, { q: 1 });
  return 'created';
}
