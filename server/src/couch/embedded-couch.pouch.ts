// Embedded CouchDB-protocol server: express-pouchdb on pouchdb-node (LevelDB), listening on a
// Unix domain socket only (no TCP port), behind the front door of couch-guard.ts. It runs in a
// child process of its own (embedded-couch-child.ts, supervised by embedded-couch-process.ts);
// tests may start it in process. Production runs Apache CouchDB 3.x instead.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import expressPouchDB from 'express-pouchdb';
import cleanFilename from 'express-pouchdb/lib/clean-filename.js';
import PouchDB from 'pouchdb-node';
import { createLogger, describeError } from '../observability/logger.js';
import { basicAuthHeader, createCouchAuthenticator } from './couch-auth.js';
import type { StoredPassword } from './couch-auth.js';
import { checkUserWrite, decideCouchRequest } from './couch-guard.js';
import { createDbUpdatesTracker } from './db-updates.js';
import type { DbUpdatesTracker } from './db-updates.js';
import { createLevelDbPurge } from './leveldb-purge.pouch.js';
import type { CouchCredentials, EmbeddedCouch } from './types.js';
import { readBody } from './read-body.js';

const log = createLogger('couch');

/**
 * The parts of express-pouchdb switched on (mode "custom": an allow-list). Left out, and why:
 * URL rewriting after our check (vhosts, rewrite, cluster-rewrite: `_rewrite` matches anywhere
 * in the URL, query included); running code sent or stored by a client (temp views, show, list,
 * update, views, `_find`); server configuration and state (`_config`, `_log`, `_active_tasks`,
 * `_stats`, the test authentication handler that makes anyone an admin when a config key says
 * so); the replicator, Fauxton, http-log and compression (gzip buffers continuous `_changes`).
 * What remains is what the server and the broker use. `_db_updates`, which express-pouchdb does
 * not have, is answered here (db-updates.ts), to the service admin only.
 */
export const EMBEDDED_PARTS = [
  'config-infrastructure',
  'logging-infrastructure',
  'routes/authentication',
  'routes/authorization',
  'routes/session',
  'routes/all-dbs',
  'routes/db',
  'routes/security',
  'routes/bulk-docs',
  'routes/bulk-get',
  'routes/all-docs',
  'routes/changes',
  'routes/compact',
  'routes/revs-diff',
  'routes/attachments',
  'routes/documents',
  'validation',
  'routes/404',
];

/** Largest body of a user's write the front door reads (the broker's own limit is lower). */
export const USER_WRITE_MAX_BYTES = 64 * 1024 * 1024;

type StoredUserDoc = {
  name?: unknown;
  type?: unknown;
  derived_key?: unknown;
  salt?: unknown;
  iterations?: unknown;
};

function sendError(res: Response, status: number, error: string, reason: string): void {
  res.status(status).json({ error, reason });
}

/** Methods that change nothing: their requests are not updates of a database. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The longest a `feed=longpoll` request of `_db_updates` waits (CouchDB's default is 60 s). */
const DB_UPDATES_MAX_WAIT_MS = 60_000;

/** `GET /_db_updates` as CouchDB answers it: `since`, `limit`, `feed=longpoll`, `timeout`. */
async function answerDbUpdates(req: Request, res: Response, updates: DbUpdatesTracker) {
  const query = new URL(req.originalUrl, 'http://embedded').searchParams;
  const limit = Number(query.get('limit') ?? 1000);
  const timeout = Number(query.get('timeout') ?? DB_UPDATES_MAX_WAIT_MS);
  if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isFinite(timeout) || timeout < 0) {
    return sendError(res, 400, 'bad_request', 'limit and timeout must be positive numbers');
  }
  const aborted = new AbortController();
  res.on('close', () => aborted.abort());
  const answer = await updates.read({
    since: query.get('since') ?? '0',
    limit,
    waitMs: query.get('feed') === 'longpoll' ? Math.min(timeout, DB_UPDATES_MAX_WAIT_MS) : 0,
    signal: aborted.signal,
  });
  if (res.destroyed) return;
  if (!answer.ok) return sendError(res, 400, 'bad_request', answer.reason);
  res.json({ results: answer.results, last_seq: answer.last_seq });
}

/** How long a socket that still answers may take to go away (a predecessor that is exiting). */
const SOCKET_CLAIM_TIMEOUT_MS = 5_000;

function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection({ path: socketPath });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Removes a socket file left by a server that died. One that still answers may belong to a
 * predecessor whose server was just killed (it exits when it notices): it gets a few seconds,
 * then this start fails rather than take the socket from a server that is alive.
 */
async function claimSocketPath(socketPath: string): Promise<void> {
  const deadline = Date.now() + SOCKET_CLAIM_TIMEOUT_MS;
  while (fs.existsSync(socketPath) && (await socketAnswers(socketPath))) {
    if (Date.now() > deadline) {
      throw new Error(
        `another embedded CouchDB-protocol server already listens on ${socketPath} (a second server on the same data folder?)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  fs.rmSync(socketPath, { force: true });
}

export async function startEmbeddedCouch(deps: {
  /** Its own folder (LevelDB files, its log); owner-only. */
  couchDir: string;
  /** Where it listens, inside an owner-only folder. */
  socketPath: string;
  admin: CouchCredentials;
}): Promise<EmbeddedCouch> {
  fs.mkdirSync(path.join(deps.couchDir, 'dbs'), { recursive: true, mode: 0o700 });

  const prefix = path.join(deps.couchDir, 'dbs') + path.sep;
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
    mode: 'custom',
    overrideMode: { include: EMBEDDED_PARTS },
    // In-memory config: everything in it is set below on every start, and a config file races
    // with itself on restart (the constructor re-saves an existing file while our first set()
    // saves too, both through one temp file: "rename .config.json ENOENT"). It also keeps a
    // second copy of the admin password hash off the disk.
    inMemoryConfig: true,
    logPath: path.join(deps.couchDir, 'couch.log'),
  });
  // The server admin is (re)set on every start from our credentials, before the socket opens,
  // so there is never an "admin party" window and a lost config cannot lock us out.
  await new Promise<void>((resolve, reject) => {
    pouchApp.couchConfig.set('admins', deps.admin.username, deps.admin.password, (error) =>
      error ? reject(error) : resolve(),
    );
  });
  // PouchDB's changes feed re-emits an error (a `filter=_view` naming a missing view, a
  // `filter=<ddoc>/<name>` without such a filter, `filter=_design`, ...) on an event emitter
  // pouchdb-security wraps around it; nobody listens there for a one-shot feed, so the emit
  // throws inside a promise and the unhandled rejection ends the process. The error still
  // reaches express-pouchdb through the feed's promise, which answers it. Registered last, so
  // this wraps the outermost `changes`.
  pouchApp.dbWrapper.registerWrapper((_name, db, next) => {
    const changes = db.changes.bind(db);
    db.changes = (...args: unknown[]) => {
      const feed = changes(...args);
      feed.on('error', () => undefined);
      return feed;
    };
    return next();
  });

  // Which databases were written, for `_db_updates`; its sequences name this start.
  const updates = createDbUpdatesTracker(randomUUID().slice(0, 8));

  const usersDb = new LocalPouch('_users');
  const authenticator = createCouchAuthenticator({
    admin: deps.admin,
    async lookup(name): Promise<StoredPassword | null> {
      let doc: StoredUserDoc;
      try {
        doc = await usersDb.get(`org.couchdb.user:${name}`);
      } catch {
        return null;
      }
      if (doc.type !== 'user' || typeof doc.name !== 'string') return null;
      if (typeof doc.derived_key !== 'string' || typeof doc.salt !== 'string') return null;
      if (typeof doc.iterations !== 'number') return null;
      return {
        name: doc.name,
        derivedKey: doc.derived_key,
        salt: doc.salt,
        iterations: doc.iterations,
      };
    },
  });

  async function frontDoor(req: Request, res: Response, next: NextFunction): Promise<void> {
    const { identity, credentials } = await authenticator.identify(req.headers.authorization);
    const url = req.originalUrl;
    const decision = decideCouchRequest(req.method, url, identity, cleanFilename);
    if (!decision.allow) {
      log.debug(
        { method: req.method, status: decision.status, reason: decision.reason },
        'refused',
      );
      if (decision.status === 401) res.setHeader('www-authenticate', 'Basic realm="attache"');
      const error = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden' }[decision.status];
      return sendError(res, decision.status, error, 'Not allowed on this server.');
    }
    const pathOnly = url.split('?')[0] ?? '';
    if (pathOnly === '/_db_updates') return answerDbUpdates(req, res, updates);
    // A write that succeeds is an update of its database (the guard allowed only plain names).
    const db = pathOnly.split('/')[1] ?? '';
    if (!READ_METHODS.has(req.method) && db !== '' && !db.startsWith('_')) {
      res.on('finish', () => {
        if (res.statusCode >= 200 && res.statusCode < 300) updates.updated(db);
      });
    }
    // express-pouchdb sees exactly the credentials checked here, and nothing else that could
    // authenticate (cookie sessions).
    delete req.headers.cookie;
    if (credentials) req.headers.authorization = basicAuthHeader(credentials);
    if (decision.write) {
      if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
        return sendError(res, 415, 'bad_content_type', 'Content-Type must be application/json.');
      }
      const body = await readBody(req, USER_WRITE_MAX_BYTES);
      if (!body) return sendError(res, 413, 'too_large', 'The request body is too large.');
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return sendError(res, 400, 'bad_request', 'invalid_json');
      }
      const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
      const problem = checkUserWrite(decision.write, query, parsed);
      if (problem) {
        log.debug({ method: req.method, reason: problem }, 'refused write');
        return sendError(res, 403, 'forbidden', 'Not allowed on this server.');
      }
      // body-parser (express-pouchdb's JSON parser) skips a request already parsed.
      (req as Request & { _body?: boolean }).body = parsed;
      (req as Request & { _body?: boolean })._body = true;
    }
    next();
  }

  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    frontDoor(req, res, next).catch((error: unknown) => {
      log.error({ err: describeError(error) }, 'front door failed');
      if (!res.headersSent) sendError(res, 500, 'internal_server_error', 'Request failed.');
      else res.destroy();
    });
  });
  app.use(pouchApp);

  await claimSocketPath(deps.socketPath);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(deps.socketPath, () => resolve(s));
    s.once('error', reject);
  });
  // Its clients (undici, 4 s; Node's http agent) drop idle connections first: a server closing
  // one the client has just picked for a request makes that request fail (EPIPE) under load.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // The folder (0700) is what keeps others out; the socket itself is owner-only too.
  fs.chmodSync(deps.socketPath, 0o600);
  log.info({ socketPath: deps.socketPath }, 'embedded CouchDB-protocol server listening');

  return {
    socketPath: deps.socketPath,
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
      fs.rmSync(deps.socketPath, { force: true });
      log.info('embedded CouchDB-protocol server stopped');
    },
  };
}
