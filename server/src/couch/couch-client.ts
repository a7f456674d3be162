// A small fetch-based CouchDB client: only what the pipeline needs, typed errors, JSON bodies
// always sent as application/json (express-pouchdb parses anything else as a form). It reaches
// Apache CouchDB over HTTP(S), or the embedded server over its Unix socket (undici's Agent
// connects to the socket; the URL then only names the origin).
import { Agent, fetch } from 'undici';
import type { Dispatcher } from 'undici';
import { basicAuthHeader } from './couch-auth.js';
import { CouchError } from './types.js';
import type {
  AllDocsRow,
  BulkDocResult,
  ChangesPage,
  CouchClient,
  CouchCredentials,
  CouchDoc,
  CouchErrorCode,
} from './types.js';

const REQUEST_TIMEOUT_MS = 60_000;
/** How often a running compaction is looked at, and how long it may take at most. */
const COMPACTION_POLL_MS = 250;
const COMPACTION_TIMEOUT_MS = 60 * 60_000;

export { basicAuthHeader };

/** URL path of a document: `_design/` and `_local/` keep their slash, other ids are encoded whole. */
export function docPath(db: string, id: string): string {
  for (const prefix of ['_design/', '_local/']) {
    if (id.startsWith(prefix)) {
      return `/${encodeURIComponent(db)}/${prefix}${encodeURIComponent(id.slice(prefix.length))}`;
    }
  }
  return `/${encodeURIComponent(db)}/${encodeURIComponent(id)}`;
}

function codeFor(status: number): CouchErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 412:
      return 'precondition_failed';
    case 413:
      return 'too_large';
    case 502:
    case 503:
    case 504:
      return 'unavailable';
    default:
      return 'server_error';
  }
}

type Response = { status: number; body: unknown };

export function createCouchClient(deps: {
  url: string;
  /** The embedded server's Unix socket; absent for CouchDB over the network. */
  socketPath?: string | null;
  credentials: CouchCredentials;
}): CouchClient & { close(): Promise<void> } {
  const base = deps.url.replace(/\/+$/, '');
  const adminAuth = basicAuthHeader(deps.credentials);
  const where = deps.socketPath
    ? `the embedded CouchDB-protocol server (${deps.socketPath})`
    : base;
  const agent: Dispatcher | undefined = deps.socketPath
    ? new Agent({ connect: { socketPath: deps.socketPath } })
    : undefined;

  async function call(
    operation: string,
    method: string,
    pathAndQuery: string,
    options: { body?: unknown; authorization?: string; waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: options.authorization ?? adminAuth,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Awaited<ReturnType<typeof fetch>>;
    try {
      res = await fetch(base + pathAndQuery, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        // A long poll may wait `waitMs` for its answer before the timeout counts.
        signal: AbortSignal.any([
          AbortSignal.timeout(REQUEST_TIMEOUT_MS + (options.waitMs ?? 0)),
          ...(options.signal ? [options.signal] : []),
        ]),
        ...(agent ? { dispatcher: agent } : {}),
      });
    } catch (error) {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, a reset, a timeout) is in
      // its cause.
      const inner =
        error instanceof Error ? (error.cause as { code?: unknown; message?: unknown }) : null;
      const detail = inner ? ` (${String(inner.code ?? inner.message)})` : '';
      const cause = error instanceof Error ? `${error.message}${detail}` : String(error);
      throw new CouchError('unavailable', 0, `cannot reach ${where}: ${cause}`, operation);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      body = { reason: text.slice(0, 200) };
    }
    return { status: res.status, body };
  }

  function fail(operation: string, res: Response): never {
    const reason =
      typeof res.body === 'object' && res.body !== null && 'reason' in res.body
        ? String(res.body.reason)
        : `HTTP ${res.status}`;
    throw new CouchError(codeFor(res.status), res.status, reason, operation);
  }

  return {
    url: base,

    async close() {
      await agent?.close();
    },

    async ping() {
      try {
        const res = await call('ping', 'GET', '/_session');
        const ctx = (res.body as { userCtx?: { name?: unknown } } | null)?.userCtx;
        return res.status === 200 && ctx?.name === deps.credentials.username;
      } catch {
        return false;
      }
    },

    async createDb(db, options = {}) {
      const op = `create database ${db}`;
      const query = options.q === undefined ? '' : `?q=${options.q}`;
      const res = await call(op, 'PUT', `/${encodeURIComponent(db)}${query}`);
      if (res.status === 201 || res.status === 202) return 'created';
      if (res.status === 412) return 'exists';
      return fail(op, res);
    },

    async getDoc(db, id, options = {}) {
      const op = `get ${db}/${id}`;
      const res = await call(
        op,
        'GET',
        docPath(db, id) + (options.conflicts ? '?conflicts=true' : ''),
      );
      if (res.status === 200) return res.body as CouchDoc;
      if (res.status === 404) return null;
      return fail(op, res);
    },

    async putDoc(db, doc) {
      const op = `put ${db}/${doc._id}`;
      const res = await call(op, 'PUT', docPath(db, doc._id), { body: doc });
      if (res.status === 201 || res.status === 202) {
        return { rev: String((res.body as { rev?: unknown }).rev), committed: res.status === 201 };
      }
      return fail(op, res);
    },

    async bulkDocs(db, docs) {
      const op = `bulk write to ${db}`;
      const res = await call(op, 'POST', `/${encodeURIComponent(db)}/_bulk_docs`, {
        body: { docs },
      });
      if ((res.status === 201 || res.status === 202) && Array.isArray(res.body)) {
        return res.body as BulkDocResult[];
      }
      return fail(op, res);
    },

    async allDocs(db, keys, options = {}) {
      const op = `read ${keys.length} documents of ${db}`;
      const query = options.includeDocs ? '?include_docs=true' : '';
      const res = await call(op, 'POST', `/${encodeURIComponent(db)}/_all_docs${query}`, {
        body: { keys },
      });
      if (res.status === 200) return (res.body as { rows: AllDocsRow[] }).rows;
      return fail(op, res);
    },

    async changes(db, options): Promise<ChangesPage> {
      const op = `read changes of ${db}`;
      const query = new URLSearchParams({
        since: options.since,
        limit: String(options.limit),
        ...(options.includeDocs ? { include_docs: 'true' } : {}),
      });
      const res = await call(op, 'GET', `/${encodeURIComponent(db)}/_changes?${query}`);
      if (res.status !== 200) return fail(op, res);
      const body = res.body as { results: ChangesPage['results']; last_seq: unknown };
      return { results: body.results, lastSeq: String(body.last_seq) };
    },

    async dbUpdates({ since, limit, waitMs, signal }) {
      const op = 'follow database updates';
      const query = new URLSearchParams({
        since,
        limit: String(limit),
        ...(waitMs > 0 ? { feed: 'longpoll', timeout: String(waitMs) } : {}),
      });
      const res = await call(op, 'GET', `/_db_updates?${query}`, {
        waitMs,
        ...(signal ? { signal } : {}),
      });
      if (res.status !== 200) return fail(op, res);
      const body = res.body as { results?: { db_name: string; type: string }[]; last_seq: unknown };
      return {
        dbNames: (body.results ?? []).flatMap((r) => (r.type === 'deleted' ? [] : [r.db_name])),
        lastSeq: String(body.last_seq),
      };
    },

    async allDbs() {
      const res = await call('list databases', 'GET', '/_all_dbs');
      if (res.status === 200 && Array.isArray(res.body)) return res.body as string[];
      return fail('list databases', res);
    },

    async docsWithPrefix(db, prefix, limit) {
      const op = `list ${prefix}* in ${db}`;
      const query = new URLSearchParams({
        startkey: JSON.stringify(prefix),
        endkey: JSON.stringify(`${prefix}\ufff0`),
        include_docs: 'true',
        limit: String(limit),
      });
      const res = await call(op, 'GET', `/${encodeURIComponent(db)}/_all_docs?${query}`);
      if (res.status !== 200) return fail(op, res);
      return (res.body as { rows: AllDocsRow[] }).rows.flatMap((row) => (row.doc ? [row.doc] : []));
    },

    async compact(db) {
      const op = `compact ${db}`;
      const path = `/${encodeURIComponent(db)}`;
      // CouchDB wants a JSON content type on _compact (415 otherwise); the body is empty.
      const res = await call(op, 'POST', `${path}/_compact`, { body: {} });
      if (res.status !== 202 && res.status !== 200) return fail(op, res);
      const deadline = Date.now() + COMPACTION_TIMEOUT_MS;
      for (;;) {
        const info = await call(op, 'GET', path);
        if (info.status !== 200) return fail(op, info);
        if ((info.body as { compact_running?: unknown }).compact_running !== true) return;
        if (Date.now() > deadline) {
          throw new CouchError('unavailable', 0, 'still compacting after an hour', op);
        }
        await new Promise((resolve) => setTimeout(resolve, COMPACTION_POLL_MS));
      }
    },

    async deleteDoc(db, id, rev) {
      const op = `delete ${db}/${id}`;
      const res = await call(op, 'DELETE', `${docPath(db, id)}?rev=${encodeURIComponent(rev)}`);
      if (res.status === 200 || res.status === 202) return;
      return fail(op, res);
    },

    async getSecurity(db) {
      const op = `get security of ${db}`;
      const res = await call(op, 'GET', `/${encodeURIComponent(db)}/_security`);
      if (res.status === 200) return res.body ?? {};
      return fail(op, res);
    },

    async putSecurity(db, security) {
      const op = `set security of ${db}`;
      const res = await call(op, 'PUT', `/${encodeURIComponent(db)}/_security`, {
        body: security,
      });
      if (res.status === 200) return;
      return fail(op, res);
    },

    async sessionName(authorization) {
      const res = await call('check a user token', 'GET', '/_session', { authorization });
      const reason = (res.body as { reason?: unknown } | null)?.reason;
      if (res.status !== 200) {
        const why = typeof reason === 'string' ? `: ${reason}` : '';
        return { name: null, refusal: `HTTP ${res.status}${why}` };
      }
      const name = (res.body as { userCtx?: { name?: unknown } } | null)?.userCtx?.name;
      return { name: typeof name === 'string' ? name : null };
    },

    async authenticate(credentials) {
      const res = await call('authenticate', 'GET', '/_session', {
        authorization: basicAuthHeader(credentials),
      });
      if (res.status === 401) return null;
      if (res.status !== 200) return fail('authenticate', res);
      const name = (res.body as { userCtx?: { name?: unknown } } | null)?.userCtx?.name;
      return typeof name === 'string' ? name : null;
    },
  };
}
