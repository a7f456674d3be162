// The auth broker: the devices' only door to CouchDB. For each request it validates the bearer
// token against the identity provider's keys, limits the user's request rate, maps the fixed
// aliases (/db/briefings, /db/returns) to the token user's own databases, judges the endpoint,
// method, query parameters and body against the allow-list (allow-list.ts), checks that a named
// revision may be served (live leaves only), and proxies to CouchDB as that user (upstream.ts) so
// CouchDB enforces `_security` too. Request bodies are small and bounded (read, checked, then
// sent); response bodies stream through, so a long-poll or continuous `_changes` feed flows as
// CouchDB writes it, with design-document rows taken out on the way. Every decision is audited;
// every refusal looks the same to the device (one status and body per kind of refusal, never the
// reason), and so does every failure of the CouchDB-protocol server.
// A device with a pending wipe order gets one answer to everything it asks (403 device_wipe)
// except its confirmation that the wipe is done.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import {
  DEVICE_ID_HEADER,
  DEVICE_ID_PATTERN,
  DEVICE_LABEL_HEADER,
  DEVICE_LABEL_MAX,
  DEVICE_WIPE_CONFIRMATION_HEADER,
  DEVICE_WIPE_CONFIRMATION_PATTERN,
  DEVICE_WIPE_DONE_PATH,
  DEVICE_WIPE_ERROR,
} from '../../../src/shared/protocol.js';
import type { DeviceRegistry } from '../devices/types.js';
import { errorAnswer } from '../http/error-answer.js';
import { limitKeyOf } from '../http/client-address.js';
import { sendJson } from '../http/json-http.js';
import { replicationAnswer } from './replication-answers.js';
import type { UserDbs } from '../user-dbs/user-dbs.js';
import { userIdProblem } from '../user-dbs/user-dbs.js';
import type { AuditLog } from '../audit/audit-log.js';
import { createLogger, describeError } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { EndpointRule } from './allow-list.js';
import { checkBody, decideQuery, decideRoute } from './broker-policy.js';
import type { RefusalAggregator } from '../audit/refusal-aggregator.js';
import type { PreAuthGate } from './pre-auth-limit.js';
import type { RateLimiter } from './rate-limit.js';
import { createRowFilterStream } from './reserved-row-filter.js';
import type { ReturnsGate } from './returns-gate.js';
import { createUpstream, readUpTo } from './upstream.js';
import type { TokenVerifier } from './types.js';

const log = createLogger('broker');

/**
 * Request headers passed upstream; everything else (cookies, proxy-auth headers, encodings) is
 * dropped. The content type is the broker's: a body it judged as JSON goes up as JSON (express-
 * pouchdb would parse a form-encoded one differently), and no other body goes up at all.
 */
const FORWARD_REQUEST_HEADERS = ['accept', 'if-match', 'if-none-match', 'range', 'user-agent'];
/** Response headers passed back; Location/Set-Cookie/Server would leak upstream details. */
const FORWARD_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'cache-control',
  'date',
];
/** Longest path and query string kept in an audit record. */
const AUDIT_PATH_MAX = 256;
const AUDIT_QUERY_MAX = 512;
/** How much of an upstream error answer is kept for the log and the audit trail. */
const UPSTREAM_ERROR_MAX = 2048;
const UNAVAILABLE_RETRY_AFTER_SEC = 5;

export type BrokerDeps = {
  readonly verifier: TokenVerifier;
  readonly userDbs: UserDbs;
  readonly couchUrl: string;
  /** The embedded CouchDB-protocol server's Unix socket (then couchUrl only names the origin). */
  readonly couchSocketPath?: string | null;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly rateLimiter: RateLimiter;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number;
  /** Requests one user may have open at once (continuous feeds stay open). */
  readonly maxOpenPerUser: number;
  /** Devices seen and wipe orders; without it, device headers are ignored. */
  readonly devices?: DeviceRegistry;
  /** How many returns a user may send (returns-gate.ts); without it, no volume limit. */
  readonly returnsGate?: ReturnsGate;
  /** Client address, address limit and token shape, before any signature check. */
  readonly preAuth: PreAuthGate;
  /** Refusals a client can repeat at will are counted by kind, not recorded one each. */
  readonly refusals: RefusalAggregator;
};

const UNIFORM = {
  400: { error: 'bad_request' },
  401: { error: 'unauthorized' },
  403: { error: 'forbidden' },
  404: { error: 'not_found' },
  413: { error: 'payload_too_large' },
  429: { error: 'too_many_requests' },
  502: { error: 'bad_gateway' },
  503: { error: 'unavailable' },
} as const;

/** The uniform status for a failure's status: one the broker has a body for, else 502. */
function uniformStatus(status: number): keyof typeof UNIFORM {
  return status in UNIFORM ? (status as keyof typeof UNIFORM) : 502;
}

type DeviceHeaders = { readonly id: string; readonly label: string };

/** The device the request names; null when it names none, 'invalid' when the id is malformed. */
function deviceOf(req: IncomingMessage): DeviceHeaders | null | 'invalid' {
  const id = req.headers[DEVICE_ID_HEADER];
  if (id === undefined) return null;
  if (typeof id !== 'string' || !DEVICE_ID_PATTERN.test(id)) return 'invalid';
  const raw = req.headers[DEVICE_LABEL_HEADER];
  let decoded: string;
  try {
    decoded = typeof raw === 'string' ? decodeURIComponent(raw) : '';
  } catch {
    decoded = '';
  }
  // Shown to administrators in a terminal and stored in CouchDB: no control or format
  // characters (C0, C1, bidi overrides), cut by code points so no surrogate pair is split.
  const label = [...decoded.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '').trim()]
    .slice(0, DEVICE_LABEL_MAX)
    .join('');
  return { id, label };
}

/**
 * The raw path (no dot-segment resolution by URL: the policy judges it segment by segment) and
 * the raw query string after the first `?` (the policy parses it itself).
 */
function splitUrl(url: string | undefined): { rawPath: string; rawQuery: string } {
  const whole = url ?? '/';
  const mark = whole.indexOf('?');
  return mark < 0
    ? { rawPath: whole, rawQuery: '' }
    : { rawPath: whole.slice(0, mark), rawQuery: whole.slice(mark + 1) };
}

/** A query string for the audit trail: bounded, and nothing shaped like a JWT kept. */
function auditQuery(rawQuery: string): string {
  // Masked before it is cut: a cut token would no longer look like one.
  return rawQuery
    .replace(/[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[redacted]')
    .slice(0, AUDIT_QUERY_MAX);
}

/** The one-time value a wipe confirmation carries, or null. */
function wipeConfirmationOf(req: IncomingMessage): string | null {
  const value = req.headers[DEVICE_WIPE_CONFIRMATION_HEADER];
  return typeof value === 'string' && DEVICE_WIPE_CONFIRMATION_PATTERN.test(value) ? value : null;
}

/** Reads a body of at most `limit` bytes; null when it is larger. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Uint8Array;
    size += bytes.byteLength;
    if (size > limit) return null;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

export function createBrokerServer(deps: BrokerDeps): http.Server {
  const upstream = createUpstream({
    couchUrl: deps.couchUrl,
    socketPath: deps.couchSocketPath ?? null,
    userDbs: deps.userDbs,
  });

  type Entry = {
    user: string | null;
    method: string;
    path: string;
    /** The query string as received, bounded, bearer-token-shaped values masked. */
    query?: string;
    client?: string;
    deviceId?: string;
    orderId?: string;
  };
  /**
   * One request's audit state: who it is known to be so far, and whether its record is written.
   * Every request gets exactly one `broker.request` record, whatever way it ends.
   */
  type Audited = { entry: Entry; recorded: boolean };
  /** Open requests per user: a feed held open costs an upstream connection until it closes. */
  const open = new Map<string, number>();
  /** Open responses per user and device, ended when that device is ordered wiped. */
  const openByDevice = new Map<string, Set<ServerResponse>>();
  const deviceKey = (user: string, deviceId: string) => `${user}\u0000${deviceId}`;

  /**
   * An allowed request is recorded once its outcome is known: with the status the database
   * answered (a write its validation refused shows here as 403), or why there was none.
   */
  function allowed(audited: Audited, reason: string, status?: number) {
    if (audited.recorded) return;
    audited.recorded = true;
    deps.metrics.brokerDecision('allowed');
    deps.audit.record({
      action: 'broker.request',
      ...audited.entry,
      decision: 'allowed',
      reason,
      ...(status === undefined ? {} : { status }),
    });
  }

  /** `kind` set: a refusal a client can repeat at will, counted into one record per kind. */
  function refuse(
    res: ServerResponse,
    audited: Audited,
    status: keyof typeof UNIFORM,
    reason: string,
    headers: Readonly<Record<string, string>> = {},
    kind?: string,
  ) {
    if (!audited.recorded) {
      audited.recorded = true;
      deps.metrics.brokerDecision('refused');
      const entry = {
        action: 'broker.request',
        ...audited.entry,
        decision: 'refused' as const,
        reason,
        status,
      };
      if (kind === undefined) deps.audit.record(entry);
      else deps.refusals.record(kind, entry);
    }
    sendJson(res, status, UNIFORM[status], headers);
  }

  /** What `GET /db/` answers: CouchDB's greeting shape, nothing more. */
  const SERVER_ROOT = { couchdb: 'Welcome', vendor: { name: 'Attaché broker' } } as const;

  async function handle(req: IncomingMessage, res: ServerResponse, audited: Audited) {
    const method = audited.entry.method;
    const { rawPath, rawQuery } = splitUrl(req.url);

    // 1. Who: a token of the right shape from an address that is not flooding the broker
    // (pre-auth-limit.ts), then a valid access token, or nothing at all happens. What an
    // anonymous client can repeat at will is counted per address and reason, not recorded each.
    const admission = deps.preAuth.admit(req);
    audited.entry = { ...audited.entry, client: admission.client };
    const anonymous = audited.entry;
    const unauthenticated = (status: number, reason: string) =>
      `unauthenticated\u0000${limitKeyOf(admission.client)}\u0000${status}\u0000${reason}`;
    if (!admission.ok) {
      const { status, reason, headers } = admission;
      return refuse(res, audited, status, reason, headers, unauthenticated(status, reason));
    }
    const check = await deps.verifier.verify(admission.token);
    if (!check.ok) {
      audited.entry = { ...anonymous, user: check.user ?? null };
      if (check.unavailable) {
        log.warn({ reason: check.reason }, 'cannot verify access tokens');
        return refuse(res, audited, 503, check.reason, {
          'retry-after': String(UNAVAILABLE_RETRY_AFTER_SEC),
        });
      }
      deps.preAuth.failed(admission.client);
      return refuse(
        res,
        audited,
        401,
        check.reason,
        { 'www-authenticate': 'Bearer error="invalid_token"' },
        unauthenticated(401, check.reason),
      );
    }
    const user = check.token.user;
    audited.entry = { ...anonymous, user };

    // 2. How often and how many at once: a per-user token bucket and a cap on open requests.
    const rate = deps.rateLimiter.take(user);
    if (!rate.ok) {
      return refuse(
        res,
        audited,
        429,
        'rate limit exceeded',
        { 'retry-after': String(rate.retryAfterSec) },
        `rate\u0000${user}`,
      );
    }

    const openNow = open.get(user) ?? 0;
    if (openNow >= deps.maxOpenPerUser) {
      return refuse(res, audited, 429, `too many open requests (${openNow})`, {
        'retry-after': '1',
      });
    }
    open.set(user, openNow + 1);
    res.on('close', () => {
      const left = (open.get(user) ?? 1) - 1;
      if (left <= 0) open.delete(user);
      else open.set(user, left);
    });

    // 3. Which device: a pending wipe order outranks everything the device asks.
    const device = deviceOf(req);
    if (device === 'invalid') return refuse(res, audited, 400, 'malformed device id');
    if (device && deps.devices) {
      audited.entry = { ...audited.entry, deviceId: device.id };
      // Nothing is recorded for a user the broker would refuse anyway.
      const userProblem = userIdProblem(user);
      if (userProblem) return refuse(res, audited, 403, `user claim ${userProblem}`);
      if (rawPath === DEVICE_WIPE_DONE_PATH) {
        if (method !== 'POST') return refuse(res, audited, 403, 'wipe confirmation not POST');
        // Only the order's one-time value completes it: the broker hands it out with the order.
        const done = await deps.devices.completeWipe(user, device.id, wipeConfirmationOf(req));
        if (done.kind === 'not-confirmed') {
          audited.entry = { ...audited.entry, orderId: done.order.orderId };
          return refuse(res, audited, 403, 'wipe confirmation without the order’s one-time value');
        }
        allowed(
          audited,
          done.kind === 'completed' ? 'wipe confirmed' : 'wipe confirmed, none pending',
          200,
        );
        return sendJson(res, 200, { ok: true });
      }
      const order = await deps.devices.pendingWipe(user, device.id);
      if (order) {
        audited.recorded = true;
        deps.metrics.brokerDecision('refused');
        deps.audit.record({
          action: 'broker.request',
          ...audited.entry,
          decision: 'refused',
          reason: 'device wipe ordered',
          orderId: order.orderId,
          status: 403,
        });
        return sendJson(res, 403, {
          error: DEVICE_WIPE_ERROR,
          confirmation: deps.devices.confirmationOf(user, device.id, order.orderId),
        });
      }
      deps.devices.seen(user, device.id, device.label).catch((error: unknown) => {
        log.warn({ err: describeError(error), user }, 'could not record the device as seen');
      });
      const k = deviceKey(user, device.id);
      const set = openByDevice.get(k) ?? new Set<ServerResponse>();
      openByDevice.set(k, set);
      set.add(res);
      res.on('close', () => {
        set.delete(res);
        if (set.size === 0 && openByDevice.get(k) === set) openByDevice.delete(k);
      });
    } else if (rawPath === DEVICE_WIPE_DONE_PATH) {
      return refuse(res, audited, 400, 'wipe confirmation without a device id');
    }

    // PouchDB asks the server root above a database for an id to name its replication
    // checkpoints by. The answer carries no uuid and nothing about the upstream server, so the
    // device keys its checkpoints by the database URL; refusing it would only fill the audit
    // trail with a refusal on every sync start.
    if ((method === 'GET' || method === 'HEAD') && (rawPath === '/db' || rawPath === '/db/')) {
      if (rawQuery !== '') return refuse(res, audited, 400, 'query on the server root');
      allowed(audited, 'server root', 200);
      return sendJson(res, 200, SERVER_ROOT);
    }

    // CouchDB's replicator as a client: its checkpoint look-up and commit request, answered here
    // (replication-answers.ts); nothing goes upstream.
    const own = replicationAnswer(method, rawPath, rawQuery);
    if (own) {
      allowed(audited, own.reason, own.status);
      return sendJson(res, own.status, own.body);
    }

    // 4. What: only what the allow-list lists, on the user's own two databases, with every query
    // parameter listed for that endpoint and method and its value checked.
    const route = decideRoute(method, rawPath);
    if (!route.allowed) return refuse(res, audited, 403, route.reason);
    const problem = userIdProblem(user);
    if (problem) return refuse(res, audited, 403, `user claim ${problem}`);
    const query = decideQuery(route.rule, rawQuery);
    if (!query.allowed) return refuse(res, audited, 400, query.reason);

    // 5. How much: bounded bodies, of the shape the endpoint takes, checked before CouchDB sees them.
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > deps.maxBodyBytes) {
      res.setHeader('connection', 'close');
      return refuse(res, audited, 413, `declared body of ${declared} bytes over the limit`);
    }
    const body = await readBody(req, deps.maxBodyBytes);
    if (body === null) {
      res.setHeader('connection', 'close');
      return refuse(res, audited, 413, 'body over the limit');
    }
    const judged = checkBody(route.rule, body);
    if (!judged.allowed) return refuse(res, audited, judged.status, judged.reason);
    // Writes to the returns database: how many one person may send (returns-gate.ts).
    const returnsWrite =
      route.alias !== 'returns'
        ? null
        : route.endpoint === 'bulk_docs'
          ? 'bulk_docs'
          : route.endpoint === 'document' && method === 'PUT'
            ? 'doc'
            : null;
    if (returnsWrite) {
      const gate = deps.returnsGate?.check(
        user,
        { write: returnsWrite, dbPath: route.dbPath },
        body,
      );
      if (gate && !gate.ok) return refuse(res, audited, gate.status, gate.reason, gate.headers);
    }

    let dbName: string;
    try {
      const names = await deps.userDbs.ensure(user);
      dbName = names[route.alias];
    } catch (error) {
      return refuse(
        res,
        audited,
        502,
        `user databases unavailable: ${describeError(error).message}`,
      );
    }

    // 6. Which revisions: a named `rev` is served only while it is a live leaf, so the body and
    // attachments of a replaced or unshared revision never leave, even before compaction; the
    // revisions of a newest-leaf read must be in the document's history.
    const dbBase = `${upstream.base}/${dbName}`;
    const revisions = upstream.revisionChecks(user);
    const rev = query.params.get('rev');
    if (route.rule.liveLeafRev && rev !== undefined && route.docPath) {
      if (!(await revisions.isLiveLeaf(`${dbBase}${route.docPath}`, rev))) {
        return refuse(res, audited, 404, `rev ${rev} is not a live leaf`);
      }
    }
    const named = route.rule.namedRevisions?.({
      ...(route.docId === undefined ? {} : { docId: route.docId }),
      params: query.params,
      body: judged.json,
    });
    if (named) {
      const unknown = await revisions.unknownRevisions(dbBase, named);
      if (unknown.length > 0) {
        return refuse(
          res,
          audited,
          404,
          `revisions not in the history: ${unknown.slice(0, 3).join(', ')}`,
        );
      }
    }
    await proxy(req, res, user, `${dbBase}${route.dbPath}${query.upstream}`, body, {
      audited,
      rule: route.rule,
      continuousFeed: query.params.get('feed') === 'continuous',
    });
  }

  type ProxyContext = {
    readonly audited: Audited;
    readonly rule: EndpointRule;
    readonly continuousFeed: boolean;
  };

  async function proxy(
    req: IncomingMessage,
    res: ServerResponse,
    user: string,
    path: string,
    body: Buffer,
    { audited, rule, continuousFeed }: ProxyContext,
  ) {
    const headers: Record<string, string> = {};
    for (const name of FORWARD_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    if (rule.body) headers['content-type'] = 'application/json';
    if (body.byteLength > 0 || req.method === 'POST' || req.method === 'PUT') {
      headers['content-length'] = String(body.byteLength);
    }
    const upstreamReq = await upstream.request(req.method ?? 'GET', user, path, headers);
    upstreamReq.on('response', (upstreamRes) => {
      const status = upstreamRes.statusCode ?? 502;
      if (status >= 500) {
        // Whatever the CouchDB-protocol server says about its own failure (stack traces,
        // internal messages) is for the operator: the device gets the uniform answer.
        void readUpTo(upstreamRes, UPSTREAM_ERROR_MAX).then((bytes) => {
          const detail = bytes.toString('utf8').replace(/\s+/g, ' ').trim();
          log.warn({ user, status, detail }, 'the CouchDB-protocol server failed a request');
          allowed(
            audited,
            `own database; the CouchDB-protocol server failed (${status}): ${detail}`,
            502,
          );
          if (!res.headersSent) sendJson(res, 502, UNIFORM[502]);
        });
        return;
      }
      const filtered = rule.hideReservedRows === true && status === 200 && req.method !== 'HEAD';
      const out: Record<string, string | string[]> = {
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'",
      };
      for (const name of FORWARD_RESPONSE_HEADERS) {
        // A filtered answer has another length, and the upstream validator no longer names it.
        if (filtered && (name === 'content-length' || name === 'etag')) continue;
        const value = upstreamRes.headers[name];
        if (value !== undefined) out[name] = value;
      }
      allowed(audited, 'own database', status);
      res.writeHead(status, out);
      res.flushHeaders(); // a long-poll client sees the response start at once
      const done = (error: NodeJS.ErrnoException | null) => {
        if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
          log.warn({ err: describeError(error), user }, 'answer cut short');
        }
      };
      if (filtered) {
        pipeline(
          upstreamRes,
          createRowFilterStream(continuousFeed ? 'lines' : 'envelope'),
          res,
          done,
        );
      } else pipeline(upstreamRes, res, done);
    });
    upstreamReq.on('error', (error) => {
      log.warn({ err: describeError(error), user }, 'upstream request failed');
      allowed(audited, 'own database; the CouchDB-protocol server did not answer', 502);
      if (!res.headersSent) sendJson(res, 502, UNIFORM[502]);
      else res.destroy();
    });
    // The device went away (closed a live feed, lost the network): stop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
      allowed(audited, 'own database; the device left before the answer');
    });
    upstreamReq.end(body);
  }

  const server = http.createServer((req, res) => {
    const { rawPath, rawQuery } = splitUrl(req.url);
    const audited: Audited = {
      entry: {
        user: null,
        method: req.method ?? 'GET',
        path: rawPath.slice(0, AUDIT_PATH_MAX),
        ...(rawQuery === '' ? {} : { query: auditQuery(rawQuery) }),
      },
      recorded: false,
    };
    handle(req, res, audited).catch((error: unknown) => {
      // The broker answers every failure with its uniform body for the status: the device
      // learns no more than the status; the reason goes to the audit trail and the log.
      const answer = errorAnswer(error, 'the broker', { status: 502 });
      if (!answer.expected) log.error({ err: describeError(error) }, 'broker request failed');
      // Refused with what is known of it, e.g. a device that went away while sending its body.
      if (!res.headersSent) refuse(res, audited, uniformStatus(answer.status), answer.reason);
      else res.destroy();
    });
  });
  // An order given through this process ends the device's open feeds at once, so its next
  // request (PouchDB retries) gets the order; other instances see it within their cache time
  // or when the feed times out.
  const offOrder = deps.devices?.onOrder((user, deviceId) => {
    for (const res of openByDevice.get(deviceKey(user, deviceId)) ?? []) res.destroy();
  });
  server.on('close', () => offOrder?.());
  return server;
}
