// Embedded CouchDB-protocol server: express-pouchdb on pouchdb-node (LevelDB), loopback only.
// Production runs Apache CouchDB 3.x instead; nothing else in the server imports this file.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import expressPouchDB from 'express-pouchdb';
import PouchDB from 'pouchdb-node';
import { createLogger } from '../observability/logger.js';
import { guardRequest } from './couch-guard.js';
import { createLevelDbPurge } from './leveldb-purge.pouch.js';
import type { CouchCredentials, EmbeddedCouch } from './types.js';

const log = createLogger('couch');

// Parts of express-pouchdb's fullCouchDB mode left out, and why:
// - fauxton: an admin UI we do not ship;
// - compression: gzip buffers continuous `_changes`, which must stream;
// - http-log: one file line per request, unbounded growth;
// - replicator/replicate: a server-side replication daemon nothing here uses (it also keeps a
//   live changes feed open on `_replicator`).
const EXCLUDED_PARTS = [
  'routes/fauxton',
  'compression',
  'routes/http-log',
  'replicator',
  'routes/replicate',
];

export async function startEmbeddedCouch(deps: {
  dataDir: string;
  host: string;
  port: number;
  admin: CouchCredentials;
}): Promise<EmbeddedCouch> {
  const couchDir = path.join(deps.dataDir, 'couch');
  fs.mkdirSync(path.join(couchDir, 'dbs'), { recursive: true, mode: 0o700 });

  const prefix = path.join(couchDir, 'dbs') + path.sep;
  // `_compact` takes old revisions off the disk too, not only out of PouchDB's view.
  const purge = createLevelDbPurge(prefix);
  // `db` (the leveldb adapter's leveldown factory) is missing from @types/pouchdb, which also
  // types defaults() as a bare constructor; at run time it is a full PouchDB class (static
  // events, plugins), which express-pouchdb relies on.
  const options = { prefix, db: purge.leveldown };
  const LocalPouch = PouchDB.defaults(options) as unknown as PouchDB.Static;
  purge.install(LocalPouch);
  const openDbs = new Set<string>();
  LocalPouch.on('created', (name: string) => openDbs.add(name));
  LocalPouch.on('destroyed', (name: string) => openDbs.delete(name));

  const pouchApp = expressPouchDB(LocalPouch, {
    mode: 'fullCouchDB',
    // In-memory config: everything in it is set below on every start, and a config file races
    // with itself on restart (the constructor re-saves an existing file while our first set()
    // saves too, both through one temp file: "rename .config.json ENOENT"). It also keeps a
    // second copy of the admin password hash off the disk.
    inMemoryConfig: true,
    logPath: path.join(couchDir, 'couch.log'),
    overrideMode: { exclude: EXCLUDED_PARTS },
  });
  // The server admin is (re)set on every start from our credentials file, before the port opens,
  // so there is never an "admin party" window and a lost config cannot lock us out.
  await new Promise<void>((resolve, reject) => {
    pouchApp.couchConfig.set('admins', deps.admin.username, deps.admin.password, (error) =>
      error ? reject(error) : resolve(),
    );
  });

  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    if (guardRequest(req, deps.admin) === 'pass') return next();
    res.status(403).json({ error: 'forbidden', reason: 'Not allowed.' });
  });
  app.use(pouchApp);

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(deps.port, deps.host, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${deps.host}:${port}`;
  log.info({ url, dataDir: couchDir }, 'embedded CouchDB-protocol server listening');

  return {
    url,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Long-poll and continuous _changes requests would otherwise hold close() open.
        server.closeAllConnections();
      });
      // Release LevelDB locks so the same data folder can be opened again (tests restart).
      for (const name of openDbs) {
        try {
          await new LocalPouch(name).close();
        } catch {
          /* already closed */
        }
      }
      openDbs.clear();
      log.info('embedded CouchDB-protocol server stopped');
    },
  };
}
