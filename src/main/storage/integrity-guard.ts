// Fails a store closed once any stored value fails authentication. PouchDB's leveldb adapter
// would turn some of those failures into "missing" and leave others unanswered
// (store.encrypted-leveldown.ts), so the store races each request against the first failure:
// pending requests and every later one reject with it, loudly, whatever PouchDB does.
import type { StoreIntegrityError } from './types.js';

export type IntegrityGuard = {
  /** Records the first failure (later ones add nothing) and fails what is pending. */
  readonly report: (error: StoreIntegrityError) => void;
  /** Runs a request unless the store has failed; rejects with the failure if it fails meanwhile. */
  readonly run: <T>(request: () => Promise<T>) => Promise<T>;
};

export function createIntegrityGuard(onFirstFailure: (error: StoreIntegrityError) => void) {
  let failure: StoreIntegrityError | null = null;
  let rejectFailed: (error: StoreIntegrityError) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
  failed.catch(() => undefined);
  // Read through a function: the failure lands from a LevelDB callback while a request awaits.
  const current = (): StoreIntegrityError | null => failure;

  const guard: IntegrityGuard = {
    report: (error) => {
      if (failure) return;
      failure = error;
      onFirstFailure(error);
      rejectFailed(error);
    },
    run: async (request) => {
      const before = current();
      if (before) throw before;
      try {
        const result = await Promise.race([request(), failed]);
        const during = current();
        if (during) throw during;
        return result;
      } catch (error) {
        throw current() ?? error;
      }
    },
  };
  return guard;
}
