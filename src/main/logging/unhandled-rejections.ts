// A rejected promise nobody handles is logged instead of ending the process.
//
// Node ends the process on the first one (its default since Node 15), and a library the reader
// relies on leaves one unhandled: after each batch, PouchDB's replicator asks the source
// database for its info, for progress figures only, without a catch
// (node_modules/pouchdb-node/lib/index.js, `src.info().then(...)` in onBatchDone). When that
// request fails, because the network went mid-sync or the broker refused the token, the browser
// host would die with the reader open. The failure that matters is handled where it happens:
// the replication itself retries or reports "sign-in needed".
import type { Logger } from './logger.js';
import { errorFields } from './logger.js';

/** Logs unhandled rejections on `target` (the process); returns the function that stops it. */
export function logUnhandledRejections(
  logger: Logger,
  target: Pick<NodeJS.Process, 'on' | 'off'> = process,
): () => void {
  const onRejection = (reason: unknown): void => {
    logger.error('a failed operation was not handled; the reader goes on', errorFields(reason));
  };
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('unhandledRejection', onRejection);
  };
}
