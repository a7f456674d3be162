// Fails a store closed once any stored value fails authentication. PouchDB's leveldb adapter
// would turn some of those failures into "missing" and leave others unanswered
// (store.encrypted-leveldown.ts), so the store races each request against the first failure:
// pending requests and every later one reject with it, loudly, whatever PouchDB does.
//
// Each request races against its own small promise, registered while it is pending and dropped
// when it settles. (Racing every request against one shared promise that never settles would
// leave a reaction on it per request, each keeping that request's result reachable for as long
// as the store is open: the heap grew by every list ever answered.)
import type { StoreIntegrityError } from './types.js';

export type IntegrityGuard = {
  /** Records the first failure (later ones add nothing) and fails what is pending. */
  readonly report: (error: StoreIntegrityError) => void;
  /** Runs a request unless the store has failed; rejects with the failure if it fails meanwhile. */
  readonly run: <T>(request: () => Promise<T>) => Promise<T>;
};

export function createIntegrityGuard(onFirstFailure: (error: StoreIntegrityError) => void) {
  let failure: StoreIntegrityError | null = null;
  /** The rejecters of the requests pending now; each leaves the set when its request settles. */
  const pending = new Set<(error: StoreIntegrityError) => void>();
  // Read through a function: the failure lands from a LevelDB callback while a request awaits.
  const current = (): StoreIntegrityError | null => failure;

  const guard: IntegrityGuard = {
    report: (error) => {
      if (failure) return;
      failure = error;
      onFirstFailure(error);
      for (const reject of pending) reject(error);
      pending.clear();
    },
    run: async (request) => {
      const before = current();
      if (before) throw before;
      let rejectOnFailure: (error: StoreIntegrityError) => void = () => undefined;
      const failed = new Promise<never>((_, reject) => (rejectOnFailure = reject));
      pending.add(rejectOnFailure);
      try {
        const result = await Promise.race([request(), failed]);
        const during = current();
        if (during) throw during;
        return result;
      } catch (error) {
        throw current() ?? error;
      } finally {
        pending.delete(rejectOnFailure);
      }
    },
  };
  return guard;
}
