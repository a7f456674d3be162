// The few CouchDB calls of site replication that the server's CouchDB client has no verb for
// (`_replicator` writes, `_scheduler/docs`, database info), as the site's server admin. Errors
// name the site, the operation and CouchDB's reason, never the credentials.
import { basicAuthHeader } from '../couch/couch-auth.js';
import type { CouchDoc } from '../couch/types.js';
import type { SiteEndpoint } from './replication-plan.js';

const REQUEST_TIMEOUT_MS = 30_000;
const BULK_BATCH = 100;
const BULK_TIMEOUT_MS = 120_000;

export class SiteCouchError extends Error {
  readonly code = 'SITE_COUCH_FAILED';
  constructor(
    readonly site: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SiteCouchError';
  }
}

export type SiteCouch = {
  /** Which site this is, for messages ("the primary site", "this site"). */
  readonly name: string;
  readonly url: string;
  /** A JSON request; an answer other than 2xx throws SiteCouchError, or is returned when `allow` names it. */
  request(
    op: string,
    method: string,
    path: string,
    options?: { body?: unknown; allow?: readonly number[]; timeoutMs?: number },
  ): Promise<{ status: number; body: unknown }>;
  allDbs(): Promise<string[]>;
  /** Documents of `db` whose ids start with `prefix`, with their bodies. */
  docsWithPrefix(db: string, prefix: string): Promise<CouchDoc[]>;
  bulkDocs(db: string, docs: readonly CouchDoc[]): Promise<void>;
};

export function createSiteCouch(
  name: string,
  site: SiteEndpoint,
  fetchImpl: typeof fetch = globalThis.fetch,
): SiteCouch {
  const base = site.url.replace(/\/+$/, '');
  const authorization = basicAuthHeader(site.credentials);
  const capitalized = name.charAt(0).toUpperCase() + name.slice(1);

  const couch: SiteCouch = {
    name,
    url: base,
    async request(op, method, path, options = {}) {
      let res: Response;
      try {
        res = await fetchImpl(`${base}${path}`, {
          method,
          headers: {
            authorization,
            accept: 'application/json',
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS),
        });
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause ?? error;
        throw new SiteCouchError(
          name,
          0,
          `Cannot reach ${name}'s CouchDB at ${base} to ${op} (${cause instanceof Error ? cause.message : String(cause)}).`,
        );
      }
      const text = await res.text();
      let body: unknown;
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        body = text;
      }
      if (res.ok || options.allow?.includes(res.status)) return { status: res.status, body };
      const reason = (body as { reason?: unknown } | null)?.reason;
      const hint =
        res.status === 401 || res.status === 403
          ? ' Check the account and its password file: site replication needs a CouchDB server admin at both sites.'
          : '';
      throw new SiteCouchError(
        name,
        res.status,
        `${capitalized}'s CouchDB at ${base} refused to ${op}: ${res.status}${typeof reason === 'string' ? ` ${reason}` : ''}.${hint}`,
      );
    },
    async allDbs() {
      const { body } = await couch.request('list its databases', 'GET', '/_all_dbs');
      return Array.isArray(body) ? body.filter((db): db is string => typeof db === 'string') : [];
    },
    async docsWithPrefix(db, prefix) {
      const docs: CouchDoc[] = [];
      let startkey = prefix;
      let skip = 0;
      for (;;) {
        const query = new URLSearchParams({
          startkey: JSON.stringify(startkey),
          endkey: JSON.stringify(`${prefix}\ufff0`),
          include_docs: 'true',
          limit: '1000',
          skip: String(skip),
        });
        const { body } = await couch.request(
          `read ${db}`,
          'GET',
          `/${encodeURIComponent(db)}/_all_docs?${query}`,
        );
        const rows = (body as { rows?: { id: string; doc?: CouchDoc }[] }).rows ?? [];
        for (const row of rows) if (row.doc) docs.push(row.doc);
        if (rows.length < 1000) return docs;
        // Next page: from the last id, skipping it.
        startkey = rows[rows.length - 1]!.id;
        skip = 1;
      }
    },
    async bulkDocs(db, docs) {
      // Small batches, each given long: CouchDB's replicator parses and schedules every
      // `_replicator` document as it is written, so a batch of hundreds takes tens of seconds.
      for (let i = 0; i < docs.length; i += BULK_BATCH) {
        const { body } = await couch.request(
          `write ${db}`,
          'POST',
          `/${encodeURIComponent(db)}/_bulk_docs`,
          { body: { docs: docs.slice(i, i + BULK_BATCH) }, timeoutMs: BULK_TIMEOUT_MS },
        );
        const failed = (body as { id: string; error?: string; reason?: string }[]).filter(
          (r) => r.error,
        );
        if (failed.length > 0) {
          const first = failed[0]!;
          throw new SiteCouchError(
            name,
            0,
            `${capitalized}'s CouchDB refused ${failed.length} document(s) in ${db}, e.g. ${first.id}: ${first.error} ${first.reason ?? ''}`.trim(),
          );
        }
      }
    },
  };
  return couch;
}
