// A CouchDB-protocol server over LevelDB (express-pouchdb, as the server's embedded one) at
// `<url>/db/briefings` and `<url>/db/returns`: standing in for the auth broker in unit tests,
// without its sign-in and allow-list (tests/integration/device runs the real one). It can
// answer 429 to a share of requests, as the broker's rate limit does.
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import expressPouchDB from 'express-pouchdb';
import PouchDB from 'pouchdb-node';
import type { ReplicationEvent, UserStore } from '../../../src/main/storage/types.js';
import { createBrokerTransport } from '../../../src/main/sync/broker-remote.pouch.js';
import type { PullTuning } from '../../../src/main/sync/pull.js';
import { startPull } from '../../../src/main/sync/pull.js';
import { memoryLogger } from './fixtures.js';

export type CouchSource = {
  readonly url: string;
  /** A handle on one of the served databases, to write what the fan-out would. */
  readonly db: (name: 'briefings' | 'returns') => PouchDB.Database;
  /** Requests seen, as `METHOD path?query`. */
  readonly requests: string[];
  /** Answers 429 (Retry-After: 0) to every `n`th request from now on; 0 stops it. */
  refuseEvery(n: number): void;
  /** Most requests open at once so far. */
  readonly peakOpen: () => number;
  close(): Promise<void>;
};

export async function startCouchSource(dir: string): Promise<CouchSource> {
  await mkdir(dir, { recursive: true });
  const Source = PouchDB.defaults({
    prefix: `${dir}/`,
  });
  const handles = new Map<string, PouchDB.Database>();
  const db = (name: 'briefings' | 'returns'): PouchDB.Database => {
    let handle = handles.get(name);
    if (!handle) {
      handle = new Source(name);
      handles.set(name, handle);
    }
    return handle;
  };
  db('briefings');
  db('returns');
  const requests: string[] = [];
  let refuseEvery = 0;
  let open = 0;
  let peak = 0;
  const app = express();
  app.use((req, res, next) => {
    requests.push(`${req.method} ${req.originalUrl}`);
    if (refuseEvery > 0 && requests.length % refuseEvery === 0) {
      res.status(429).set('retry-after', '0').json({ error: 'too_many_requests' });
      return;
    }
    open += 1;
    peak = Math.max(peak, open);
    res.on('close', () => (open -= 1));
    next();
  });
  app.use(
    '/db',
    expressPouchDB(Source as unknown as PouchDB.Static, {
      mode: 'minimumForPouchDB',
      inMemoryConfig: true,
      logPath: `${dir}/log.txt`,
    }),
  );
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    db,
    requests,
    refuseEvery: (n) => (refuseEvery = n),
    peakOpen: () => peak,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...handles.values()].map((handle) => handle.close()));
    },
  };
}

/**
 * Pulls from `source` into `store` with the device's own pull until it has caught up (the first
 * sync's final pass included), then stops: as the sync service's pull does, once.
 */
export async function pullOnce(
  store: UserStore,
  sourceUrl: string,
  options: { tuning?: Partial<PullTuning>; events?: ReplicationEvent[] } = {},
): Promise<void> {
  const { logger } = memoryLogger();
  await new Promise<void>((resolve, reject) => {
    const handle = startPull({
      transport: createBrokerTransport({
        brokerUrl: sourceUrl,
        authorization: () => Promise.resolve('Bearer test'),
        onRequest: () => undefined,
      }),
      target: store.pullTarget,
      logger,
      backOff: () => 50,
      ...(options.tuning ? { tuning: options.tuning } : {}),
      onEvent: (event) => {
        options.events?.push(event);
        if (event.kind === 'paused' && event.error === null) {
          void handle.cancel().then(resolve, reject);
        } else if (event.kind === 'paused') {
          reject(event.error instanceof Error ? event.error : new Error('the pull failed'));
        } else if (event.kind === 'stopped' && event.error) {
          reject(event.error instanceof Error ? event.error : new Error('the pull stopped'));
        }
      },
    });
  });
}
