// What the device's own pull (sync/pull.ts) writes into, for either database: its checkpoint,
// kept beside what it pulled (a `_local` document, encrypted like the rest), the revisions the
// database lacks, and writes of replicated revisions exactly as the server holds them.
import type { Db } from './change-feed.pouch.js';
import { isNotFound, isUserDoc } from './change-feed.pouch.js';
import type { PullCheckpoint, PullTarget, ReplicatedDoc } from './types.js';

export type PullTargetOptions = {
  /** Runs a request against the database (through its gate). */
  readonly use: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
  /** Runs a write of replicated revisions (alone, where the store needs it); `use` if absent. */
  readonly write?: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
  /** Id of the `_local` document holding the checkpoint. */
  readonly checkpointId: string;
  /** Names the rule deciding what is stored: a checkpoint kept under another rule is ignored. */
  readonly ruleKey: string | null;
  /** Of the documents fetched, those the database may hold. */
  readonly accept: (docs: readonly ReplicatedDoc[]) => Promise<readonly ReplicatedDoc[]>;
  /** Called with what is about to be written, before it is (returns.pouch.ts notes its origin). */
  readonly beforeWrite?: (docs: readonly ReplicatedDoc[]) => Promise<void>;
  /**
   * Called with what was written, once it is, within the same use of the database, with the
   * database's update sequence from before the write.
   */
  readonly afterWrite?: (
    db: Db,
    docs: readonly ReplicatedDoc[],
    from: string | number,
  ) => Promise<void>;
  /** Only the pull writes revisions into this database (PullTarget.soleWriter). */
  readonly soleWriter: boolean;
};

export function createPullTarget(options: PullTargetOptions): PullTarget {
  const { use, checkpointId, ruleKey } = options;
  return {
    soleWriter: options.soleWriter,
    readCheckpoint: () =>
      use(async (db) => {
        try {
          const doc = (await db.get(checkpointId)) as unknown as Partial<
            PullCheckpoint & { rule: string | null }
          >;
          if ((doc.rule ?? null) !== ruleKey) return null;
          const since = doc.since;
          if (typeof since !== 'string' && typeof since !== 'number') return null;
          return { since, verified: doc.verified === true };
        } catch (error) {
          if (isNotFound(error)) return null;
          throw error;
        }
      }),
    writeCheckpoint: (checkpoint) =>
      use(async (db) => {
        let rev: string | undefined;
        try {
          rev = (await db.get(checkpointId))._rev;
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
        await db.put({
          _id: checkpointId,
          ...(rev ? { _rev: rev } : {}),
          rule: ruleKey,
          since: checkpoint.since,
          verified: checkpoint.verified,
        });
      }),
    missingRevisions: (revisions) =>
      use(async (db) => {
        const diff = (await db.revsDiff(
          revisions as Record<string, string[]>,
        )) as unknown as Record<string, { missing?: string[]; possible_ancestors?: string[] }>;
        const result: Record<string, { missing: string[]; have: string[] }> = {};
        for (const [id, entry] of Object.entries(diff)) {
          if (!isUserDoc(id) || !entry.missing || entry.missing.length === 0) continue;
          result[id] = { missing: entry.missing, have: entry.possible_ancestors ?? [] };
        }
        return result;
      }),
    currentRevisions: () =>
      use(async (db) => {
        const all = await db.allDocs();
        return new Map(
          all.rows.filter((row) => isUserDoc(row.id)).map((row) => [row.id, row.value.rev]),
        );
      }),
    writeReplicated: async (docs) => {
      const accepted = await options.accept(docs.filter((doc) => isUserDoc(doc._id)));
      if (accepted.length === 0) return [];
      await options.beforeWrite?.(accepted);
      return (options.write ?? use)(async (db) => {
        const from = options.afterWrite ? (await db.info()).update_seq : 0;
        const results = await db.bulkDocs(
          accepted as unknown as PouchDB.Core.PutDocument<object>[],
          { new_edits: false },
        );
        // With new_edits: false PouchDB answers only failures (a missing attachment stub, ...).
        const failed = results.filter(
          (result): result is PouchDB.Core.Error => 'error' in result && result.error !== undefined,
        );
        if (failed.length > 0) {
          throw new Error(
            `could not store ${failed.length} replicated revision(s): ${failed[0]?.message ?? failed[0]?.name ?? 'unknown'}`,
          );
        }
        await options.afterWrite?.(db, accepted, from);
        return accepted.map((doc) => doc._id);
      });
    },
  };
}
