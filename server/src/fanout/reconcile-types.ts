// What reconciling (document, recipient) pairs is about, shared by the batch reconciler and the
// per-recipient writes: the pairs, their results and effects, the dependencies, and the cache of
// revisions a worker wrote itself.
import type { Classification } from '../../../src/shared/briefing.js';
import { CLASSIFICATIONS } from '../../../src/shared/briefing.js';
import type { CouchAttachmentStub, CouchClient } from '../couch/types.js';
import type { SorAdapter, SorDeliveryNotices } from '../sor/types.js';
import type { FanoutOutcome } from './types.js';
import type { UserDbs } from '../user-dbs/user-dbs.js';

/** A failure no retry can fix: the events go to the dead-letter queue with this reason. */
export class PermanentFailure extends Error {
  readonly permanent = true;
}

export type Pair = { readonly sorId: string; readonly recipient: string };

export type PairResult =
  | {
      readonly ok: true;
      readonly outcome: FanoutOutcome;
      /** The version written (or found unchanged/stale) when shared. */
      readonly version?: number;
    }
  | { readonly ok: false; readonly error: unknown };

export type Effect = {
  readonly pair: Pair;
  readonly outcome: 'written' | 'deleted';
  readonly version?: number;
};

export type ReconcileDeps = {
  readonly sor: SorAdapter;
  readonly couch: CouchClient;
  readonly userDbs: UserDbs;
  /** Databases written in parallel. */
  readonly concurrency: number;
  /**
   * Called as soon as a write or delete returned, before anything else runs, so that a crash
   * later in the batch cannot lose the record of it (the audit trail uses this).
   */
  readonly onEffect?: (effect: Effect) => void;
  /**
   * Revisions this worker wrote itself. With it, new briefings are created without reading
   * first and changed ones are written with the remembered _rev; a conflict (someone else wrote
   * meanwhile) falls back to reading. Without it, every write reads the stored document first.
   */
  readonly revisions?: RevisionCache;
  /**
   * The organisation-wide ceiling: a briefing marked above it is not published (and removed
   * where an earlier version was), the SOR is told why once per version, and `onWithheld`
   * records each recipient it was withheld from.
   */
  readonly ceiling?: {
    readonly highest: Classification;
    readonly notices: SorDeliveryNotices;
    readonly onWithheld?: (withheld: Withheld) => void;
  };
};

export type Withheld = {
  readonly pair: Pair;
  readonly version: number;
  readonly classification: string;
  readonly reason: string;
};

/** Above the ceiling; a marking the schema does not know counts as above. */
export function aboveCeiling(classification: string, highest: Classification): boolean {
  const rank = (CLASSIFICATIONS as readonly string[]).indexOf(classification);
  return rank === -1 || rank > CLASSIFICATIONS.indexOf(highest);
}

export type RevisionEntry = {
  readonly rev: string;
  readonly contentHash: string;
  readonly version: number;
  readonly attachments: Readonly<Record<string, CouchAttachmentStub>>;
};

/** A bounded, least-recently-used map of (database, document) to what this worker wrote. */
export type RevisionCache = {
  get(db: string, id: string): RevisionEntry | undefined;
  set(db: string, id: string, entry: RevisionEntry): void;
  delete(db: string, id: string): void;
};

export function createRevisionCache(maxEntries = 100_000): RevisionCache {
  const entries = new Map<string, RevisionEntry>();
  const keyOf = (db: string, id: string) => `${db}\u0000${id}`;
  return {
    get(db, id) {
      const key = keyOf(db, id);
      const entry = entries.get(key);
      if (entry) {
        entries.delete(key); // move to the most recently used end
        entries.set(key, entry);
      }
      return entry;
    },
    set(db, id, entry) {
      const key = keyOf(db, id);
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    delete(db, id) {
      entries.delete(keyOf(db, id));
    },
  };
}

export const pairKey = (pair: Pair) => `${pair.sorId}\u0000${pair.recipient}`;
