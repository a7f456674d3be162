// Sync restarts many times a day (each network change, each renewed token). Each start opens
// remote database handles; a stopped replication must not leave them open.
import PouchDB from 'pouchdb-node';
import { describe, expect, it } from 'vitest';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import type { ReplicationEvent } from '../../../src/main/storage/types.js';
import { createBrokerTransport } from '../../../src/main/sync/broker-remote.pouch.js';
import { startPull } from '../../../src/main/sync/pull.js';
import { eventually } from '../../support/eventually.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import { memoryLogger, tempDir } from './fixtures.js';

/**
 * Open handles of a database name: PouchDB's constructor keeps every handle not yet closed in
 * this map (to tell them when the database is destroyed), which keeps it alive.
 */
const openHandles = (name: string): number =>
  (
    PouchDB as unknown as { _destructionListeners: Map<string, unknown[]> }
  )._destructionListeners.get(name)?.length ?? 0;
// Nothing listens there: every request fails, and the replications retry until cancelled.
const BROKER = 'http://127.0.0.1:9';

describe('replication handles', () => {
  it('closes the remote handles of every stopped replication', async () => {
    const dir = await tempDir('handles');
    const { logger } = memoryLogger();
    const store = await openUserStore({
      dataDir: dir.path,
      userId: 'alex.morgan',
      keychain: createInMemoryKeychainTestDouble(),
      logger,
    });
    try {
      for (let i = 0; i < 15; i += 1) {
        const events: ReplicationEvent['kind'][] = [];
        const transport = createBrokerTransport({
          brokerUrl: BROKER,
          authorization: () => Promise.resolve('Bearer test'),
          onRequest: () => undefined,
        });
        const handles = [
          startPull({
            transport,
            target: store.pullTarget,
            logger,
            backOff: () => 50,
            onEvent: (event) => events.push(event.kind),
          }),
          store.pushReturns({
            remote: transport.remoteDatabase('returns'),
            backOff: () => 50,
            onEvent: (event) => events.push(event.kind),
          }),
        ];
        await new Promise((resolve) => setTimeout(resolve, 20));
        await Promise.all(handles.map((handle) => handle.cancel()));
        expect(events.filter((kind) => kind === 'stopped')).toHaveLength(2);
      }
      // The closes run after the cancels resolve: wait for them, a leak never gets there.
      await eventually(() => expect(openHandles(`${BROKER}/db/returns`)).toBe(0));
    } finally {
      await store.close();
      await dir.remove();
    }
  });
});
