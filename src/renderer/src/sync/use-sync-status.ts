import { useEffect, useState } from 'react';
import type { SyncStatus } from '../../../shared/ipc.js';
import { useApi } from '../api/api-context.js';

/** The device's sync status: fetched once, then kept current by `sync:status-changed`. */
export function useSyncStatus(): SyncStatus | null {
  const api = useApi();
  const [status, setStatus] = useState<SyncStatus | null>(null);
  useEffect(() => {
    let live = true;
    let heardEvent = false;
    const unsubscribe = api.onSyncStatus((next) => {
      heardEvent = true;
      if (live) setStatus(next);
    });
    void api.getSyncStatus({}).then((result) => {
      // An event that arrived while the request was in flight is newer than its answer.
      if (!live || heardEvent) return;
      setStatus(
        result.ok
          ? result.value
          : {
              state: 'error',
              lastSyncedAt: null,
              pendingUploads: 0,
              message: result.error.message,
            },
      );
    });
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api]);
  return status;
}
