// Where the returns integrator has read each returns database up to: a document per database in
// the control database (not in the user's own database, where the user's device could move it).
import { CONTROL_DB } from '../couch/control-db.js';
import type { CouchClient } from '../couch/types.js';
import { CouchError } from '../couch/types.js';

/** Where the integrator has read each returns database up to. */
export type ReturnsCheckpoints = {
  read(db: string): Promise<string | null>;
  save(db: string, since: string): Promise<void>;
};

export function createCouchCheckpoints(couch: CouchClient): ReturnsCheckpoints {
  const idOf = (db: string) => `returns-checkpoint:${db}`;
  return {
    async read(db) {
      const doc = await couch.getDoc(CONTROL_DB, idOf(db));
      return typeof doc?.['since'] === 'string' ? doc['since'] : null;
    },
    async save(db, since) {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const doc = await couch.getDoc(CONTROL_DB, idOf(db));
        try {
          await couch.putDoc(CONTROL_DB, {
            _id: idOf(db),
            ...(doc?._rev ? { _rev: doc._rev } : {}),
            since,
            updatedAt: new Date().toISOString(),
          });
          return;
        } catch (error) {
          if (!(error instanceof CouchError && error.code === 'conflict')) throw error;
        }
      }
      throw new Error(`Could not save the returns checkpoint of ${db}.`);
    },
  };
}
