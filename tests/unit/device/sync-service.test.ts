import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import type { UserStore } from '../../../src/main/storage/types.js';
import { createSyncService } from '../../../src/main/sync/sync-service.js';
import type { SyncService, TokenProvider } from '../../../src/main/sync/types.js';
import type { SyncState, SyncStatus } from '../../../src/shared/ipc.js';
import { eventually } from '../../support/eventually.js';
import { memoryLogger, tempDir } from './fixtures.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';

/** A broker that refuses every request with 401, recording what it was sent. */
async function refusingBroker() {
  const authorizations: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'unauthorized', reason: 'token rejected' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function waitForState(
  sync: SyncService,
  state: SyncState,
  timeoutMs = 10_000,
): Promise<SyncStatus> {
  if (sync.status().state === state) return Promise.resolve(sync.status());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`sync stayed ${sync.status().state}, never ${state}`));
    }, timeoutMs);
    const off = sync.onStatus((status) => {
      if (status.state !== state) return;
      clearTimeout(timer);
      off();
      resolve(status);
    });
  });
}

describe('sync service', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  });

  async function setup(
    brokerUrl: string,
    tokenProvider: TokenProvider,
    backOff = { initialMs: 50, maxMs: 200 },
  ): Promise<{ sync: SyncService; store: UserStore }> {
    const dir = await tempDir('sync');
    const { logger } = memoryLogger();
    const store = await openUserStore({
      dataDir: dir.path,
      userId: 'alex.morgan',
      keychain: createInMemoryKeychainTestDouble(),
      logger,
    });
    const sync = createSyncService({
      store,
      brokerUrl,
      tokenProvider,
      logger,
      backOff,
      signInRetryMs: 60_000,
    });
    cleanups.push(async () => {
      await sync.stop();
      await store.close();
      await dir.remove();
    });
    return { sync, store };
  }

  it('asks the reader to sign in, without calling the broker, when there is no token', async () => {
    const broker = await refusingBroker();
    cleanups.push(broker.close);
    const { sync } = await setup(broker.url, { getAccessToken: () => Promise.resolve(null) });
    sync.start();
    const status = await waitForState(sync, 'sign-in-needed');
    expect(status.message).toMatch(/sign in/i);
    expect(broker.authorizations).toEqual([]);
  });

  it('sends the bearer token, renews it once after a 401, then asks the reader to sign in', async () => {
    const broker = await refusingBroker();
    cleanups.push(broker.close);
    let issued = 0;
    let invalidations = 0;
    const { sync } = await setup(broker.url, {
      getAccessToken: () => Promise.resolve(`token-${(issued += 1)}`),
      invalidate: () => {
        invalidations += 1;
      },
    });
    sync.start();
    await waitForState(sync, 'sign-in-needed');
    expect(broker.authorizations.length).toBeGreaterThan(0);
    expect(broker.authorizations.every((value) => /^Bearer token-\d+$/.test(value ?? ''))).toBe(
      true,
    );
    expect(invalidations).toBeGreaterThan(0);
    // A renewed token was tried before giving up.
    expect(new Set(broker.authorizations).size).toBeGreaterThan(1);
  });

  it('reports offline while the token cannot be obtained, and counts local returns as pending', async () => {
    const { sync, store } = await setup('http://127.0.0.1:9', {
      getAccessToken: () => Promise.reject(new Error('connect ECONNREFUSED')),
    });
    sync.start();
    await waitForState(sync, 'offline');
    await store.createReturnDoc('read-receipt:x:1', { type: 'read-receipt' });
    await store.createReturnDoc('read-receipt:y:1', { type: 'read-receipt' });
    await eventually(() =>
      expect(sync.status()).toMatchObject({ state: 'offline', pendingUploads: 2 }),
    );
  });

  it('backs off while the broker limits its returns (429), and sends them all once allowed', async () => {
    const broker = await throttlingBroker(3);
    cleanups.push(broker.close);
    const { sync, store } = await setup(
      broker.url,
      { getAccessToken: () => Promise.resolve('token') },
      { initialMs: 200, maxMs: 2_000 },
    );
    for (let n = 0; n < 3; n += 1) {
      await store.createReturnDoc(`read-receipt:${randomUUID()}`, { type: 'read-receipt', n });
    }
    sync.start();
    // Nothing lost: the three receipts arrived once the broker let them through.
    await eventually(
      () => expect(broker.received.map((doc) => doc['n']).sort()).toEqual([0, 1, 2]),
      { timeout: 15_000 },
    );
    // Each refusal made the device wait longer (about 200, 400, 800 ms), rather than retrying
    // at the shortest delay every time (3 x 200 ms).
    const attempts = broker.bulkAttempts;
    expect(attempts.length).toBeGreaterThanOrEqual(4);
    expect(attempts[3]! - attempts[0]!).toBeGreaterThanOrEqual(1_000);
  });
});

/**
 * A fake broker (plain HTTP, named as such) for the push direction only: it refuses the first
 * `refusals` writes to /db/returns with 429 and Retry-After, then stores what it is sent.
 */
async function throttlingBroker(refusals: number) {
  const received: Record<string, unknown>[] = [];
  const bulkAttempts: number[] = [];
  let refused = 0;
  const server = createServer((req, res) => {
    const chunks: Uint8Array[] = [];
    req.on('data', (chunk: Uint8Array) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      const body =
        chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString()) as unknown) : null;
      const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      if (path === '/db/' && req.method === 'GET') return send(200, { couchdb: 'Welcome' });
      if (path === '/db/returns/' && req.method === 'GET') {
        return send(200, { db_name: 'returns', update_seq: 0 });
      }
      if (path === '/db/returns/_revs_diff') {
        const wanted = body as Record<string, string[]>;
        return send(
          200,
          Object.fromEntries(Object.entries(wanted).map(([id, revs]) => [id, { missing: revs }])),
        );
      }
      if (path === '/db/returns/_bulk_docs') {
        bulkAttempts.push(performance.now());
        if (refused < refusals) {
          refused += 1;
          return send(429, { error: 'too_many_requests' }, { 'retry-after': '1' });
        }
        const docs = (body as { docs: Record<string, unknown>[] }).docs;
        received.push(...docs);
        return send(
          201,
          docs.map((doc) => ({ ok: true, id: doc['_id'], rev: doc['_rev'] })),
        );
      }
      send(404, { error: 'not_found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    bulkAttempts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
