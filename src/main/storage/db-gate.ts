// One database of the store behind a gate: requests run through `use`, and `maintain` (a purge:
// compaction, then a vacuum that closes the database and swaps its files) waits for the requests
// in flight to drain and makes new ones wait until the database is open again.
import type { Db } from './change-feed.pouch.js';

export type DbGate = {
  /** Runs a request against the database as it is now (after any maintenance under way). */
  readonly use: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
  /**
   * Runs `work` alone; it may close the database and swap its files. The database is opened
   * again with `reopen` afterwards, whether the work succeeded or not.
   */
  readonly maintain: (work: (db: Db) => Promise<void>, reopen: () => Db) => Promise<void>;
  /** The database as it is now, without waiting (the push's source, closing). */
  readonly current: () => Db;
  /** Resolves once no maintenance is under way. */
  readonly idle: () => Promise<void>;
};

export function createDbGate(
  initial: Db,
  guard: <T>(request: () => Promise<T>) => Promise<T>,
): DbGate {
  let db = initial;
  let maintenance: Promise<void> | null = null;
  let inFlight = 0;
  let drained: (() => void) | null = null;

  const idle = async (): Promise<void> => {
    while (maintenance) await maintenance;
  };

  return {
    use: async (fn) => {
      await idle();
      inFlight += 1;
      try {
        return await guard(() => fn(db));
      } finally {
        inFlight -= 1;
        if (inFlight === 0 && drained) drained();
      }
    },
    maintain: async (work, reopen) => {
      await idle();
      const run = (async () => {
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        drained = null;
        try {
          await guard(() => work(db));
        } finally {
          db = reopen();
        }
      })();
      maintenance = run;
      try {
        await run;
      } finally {
        maintenance = null;
      }
    },
    current: () => db,
    idle,
  };
}
