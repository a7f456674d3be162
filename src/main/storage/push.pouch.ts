// The push of the returns database to the person's returns database on the server: PouchDB's
// live replication over the broker transport, reported as ReplicationEvents for the sync
// service to decide on (status, back-off, restarts).
import PouchDB from 'pouchdb-node';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { Db } from './change-feed.pouch.js';
import type { PushOptions, ReplicationEvent, ReplicationHandle } from './types.js';

/** How long `cancel()` waits for PouchDB to settle; a replication sleeping in back-off only
 * notices the cancel when its timer fires, and nothing it does after that touches our data. */
const CANCEL_GRACE_MS = 2_000;

/**
 * Deletions stay on the device: returns cannot be deleted on the server (its validation refuses
 * them), and the device deletes only what the server already holds (the events of an unshared
 * briefing, removed once sent; returns.pouch.ts). Filtered out, they are still passed over by the
 * checkpoint, so they never count as unsent.
 */
function notDeleted(doc: { _deleted?: boolean }): boolean {
  return doc._deleted !== true;
}

export function startPush(local: Db, options: PushOptions, logger: Logger): ReplicationHandle {
  // The transport made it (sync/broker-remote.pouch.ts): a PouchDB http database.
  const remote = options.remote as unknown as Db;
  // Checkpoints are kept on the device side only: the broker need not accept `_local` writes on
  // the user's databases, and the device is the one that must resume.
  const replication = PouchDB.replicate(local, remote, {
    live: true,
    retry: true,
    back_off_function: options.backOff,
    batch_size: 50,
    checkpoint: 'source',
    filter: notDeleted,
  });

  let settled = false;
  let resolveSettled: () => void = () => undefined;
  const settledPromise = new Promise<void>((resolve) => {
    resolveSettled = resolve;
  });
  const emit = (event: ReplicationEvent): void => {
    try {
      options.onEvent(event);
    } catch (error) {
      logger.error('replication listener failed', errorFields(error));
    }
  };
  const stop = (error: unknown): void => {
    if (settled) return;
    settled = true;
    // Every sync restart (network back, token renewed) makes new remote handles, and PouchDB's
    // constructor keeps each handle until it is closed (to tell it of a destroy): a reader
    // running for weeks would collect thousands. Closing an HTTP handle sends nothing.
    options.remote.close().catch(() => undefined);
    resolveSettled();
    emit({ kind: 'stopped', error });
  };

  void replication
    .on('active', () => emit({ kind: 'active' }))
    .on('paused', (error) => emit({ kind: 'paused', error: error ?? null }))
    .on('change', (info) =>
      emit({
        kind: 'change',
        docsWritten: info.docs_written,
        ids: (info.docs ?? []).map((doc) => doc._id),
      }),
    )
    .on('denied', (error) => emit({ kind: 'denied', error }))
    .on('error', (error) => stop(error))
    .on('complete', () => stop(null));
  // Not in PouchDB's typings: emitted after each checkpoint write with the source sequence.
  (replication as unknown as NodeJS.EventEmitter).on(
    'checkpoint',
    (info: { checkpoint?: string | number }) => {
      if (info.checkpoint !== undefined) emit({ kind: 'checkpoint', seq: info.checkpoint });
    },
  );

  return {
    cancel: async () => {
      if (settled) return;
      replication.cancel();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        settledPromise,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CANCEL_GRACE_MS))),
      ]);
      clearTimeout(timer);
      stop(null);
    },
  };
}
