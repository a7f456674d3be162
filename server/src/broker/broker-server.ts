// The auth broker: the devices' only door to CouchDB. For each request it validates the bearer
// token against the identity provider's keys, limits the user's request rate, maps the fixed
// aliases (/db/briefings, /db/returns) to the token user's own databases, applies the route
// policy, checks write bodies, and proxies to CouchDB as that user (Basic, derived password) so
// CouchDB enforces `_security` too. Request bodies are small and bounded (read, checked, then
// sent); response bodies stream through unbuffered, so a long-poll or continuous `_changes` feed
// flows as CouchDB writes it. Every decision is audited; every refusal looks the same to the
// device (one status and body per kind of refusal, never the reason).
// A device with a pending wipe order gets one answer to everything it asks (403 device_wipe)
// except its confirmation that the wipe is done.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DEVICE_ID_HEADER,
  DEVICE_ID_PATTERN,
  DEVICE_LABEL_HEADER,
  DEVICE_LABEL_MAX,
  DEVICE_WIPE_DONE_PATH,
  DEVICE_WIPE_ERROR,
} from '../../../src/shared/protocol.js';
import { basicAuthHeader } from '../couch/couch-client.js';
import type { DeviceRegistry } from '../devices/types.js';
import { sendJson } from '../http/json-http.js';
import type { UserDbs } from '../fanout/user-dbs.js';
import { userIdProblem } from '../fanout/user-dbs.js';
import type { AuditLog } from '../observability/audit-log.js';
import { createLogger, describeError } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { checkWriteBody, decideRoute } from './broker-policy.js';
import type { RateLimiter } from './rate-limit.js';
import type { TokenVerifier } from './types.js';

const log = createLogger('broker');

/** Request headers passed upstream; everything else (cookies, proxy-auth headers, encodings) is dropped. */
const FORWARD_REQUEST_HEADERS = [
  'accept',
  'content-type',
  'if-match',
  'if-none-match',
  'range',
  'user-agent',
];
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
/** Longest path kept in an audit record. */
const AUDIT_PATH_MAX = 256;
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

function bearerToken(req: IncomingMessage): string | null {
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] ?? null;
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
  const upstream = new URL(deps.couchUrl);
  const transport = upstream.protocol === 'https:' ? https : http;
  const upstreamBase = upstream.pathname.replace(/\/+$/, '');

  type Entry = { user: string | null; method: string; path: string; deviceId?: string };
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

  function refuse(
    res: ServerResponse,
    audited: Audited,
    status: keyof typeof UNIFORM,
    reason: string,
    headers: Record<string, string> = {},
  ) {
    if (!audited.recorded) {
      audited.recorded = true;
      deps.metrics.brokerDecision('refused');
      deps.audit.record({
        action: 'broker.request',
        ...audited.entry,
        decision: 'refused',
        reason,
        status,
      });
    }
    sendJson(res, status, UNIFORM[status], headers);
  }

  /** What `GET /db/` answers: CouchDB's greeting shape, nothing more. */
  const SERVER_ROOT = { couchdb: 'Welcome', vendor: { name: 'Attaché broker' } } as const;

  async function handle(req: IncomingMessage, res: ServerResponse, audited: Audited) {
    const method = audited.entry.method;
    // The raw path (no dot-segment resolution by URL): the policy judges it segment by segment.
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const search = new URL(req.url ?? '/', 'http://broker.invalid').search;
    const anonymous = audited.entry;

    // 1. Who: a valid access token, or nothing at all happens.
    const token = bearerToken(req);
    if (!token) {
      return refuse(res, audited, 401, 'no bearer token', { 'www-authenticate': 'Bearer' });
    }
    const check = await deps.verifier.verify(token);
    if (!check.ok) {
      audited.entry = { ...anonymous, user: check.user ?? null };
      if (check.unavailable) {
        log.warn({ reason: check.reason }, 'cannot verify access tokens');
        return refuse(res, audited, 503, check.reason, {
          'retry-after': String(UNAVAILABLE_RETRY_AFTER_SEC),
        });
      }
      return refuse(res, audited, 401, check.reason, {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
    }
    const user = check.token.user;
    audited.entry = { ...anonymous, user };

    // 2. How often and how many at once: a per-user token bucket and a cap on open requests.
    const rate = deps.rateLimiter.take(user);
    if (!rate.ok) {
      return refuse(res, audited, 429, 'rate limit exceeded', {
        'retry-after': String(rate.retryAfterSec),
      });
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
        const done = await deps.devices.completeWipe(user, device.id);
        allowed(audited, done ? 'wipe confirmed' : 'wipe confirmed, none pending', 200);
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
        return sendJson(res, 403, { error: DEVICE_WIPE_ERROR });
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
      allowed(audited, 'server root', 200);
      return sendJson(res, 200, SERVER_ROOT);
    }

    // 4. What: only what replication needs, on the user's own two databases.
    const route = decideRoute(method, rawPath);
    if (!route.allowed) return refuse(res, audited, 403, route.reason);
    const problem = userIdProblem(user);
    if (problem) return refuse(res, audited, 403, `user claim ${problem}`);

    // 5. How much: bounded bodies, and write bodies checked before they reach CouchDB.
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
    if (route.write) {
      const bodyProblem = checkWriteBody(route.write, body);
      if (bodyProblem) return refuse(res, audited, 403, bodyProblem);
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
    proxy(req, res, user, `${upstreamBase}/${dbName}${route.dbPath}${search}`, body, audited);
  }

  function proxy(
    req: IncomingMessage,
    res: ServerResponse,
    user: string,
    path: string,
    body: Buffer,
    audited: Audited,
  ) {
    const headers: Record<string, string> = {};
    for (const name of FORWARD_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    headers['authorization'] = basicAuthHeader(deps.userDbs.credentials(user));
    if (body.byteLength > 0 || req.method === 'POST' || req.method === 'PUT') {
      headers['content-length'] = String(body.byteLength);
    }
    const upstreamReq = transport.request({
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      ...(deps.couchSocketPath ? { socketPath: deps.couchSocketPath } : {}),
      method: req.method,
      path,
      headers,
    });
    upstreamReq.on('response', (upstreamRes) => {
      const out: Record<string, string | string[]> = {
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'",
      };
      for (const name of FORWARD_RESPONSE_HEADERS) {
        const value = upstreamRes.headers[name];
        if (value !== undefined) out[name] = value;
      }
      allowed(audited, 'own database', upstreamRes.statusCode ?? 502);
      res.writeHead(upstreamRes.statusCode ?? 502, out);
      res.flushHeaders(); // a long-poll client sees the response start at once
      upstreamRes.pipe(res);
      // CouchDB went away mid-answer (the embedded server's process died): end the device's
      // response too, or a live feed would hang until the device gives up.
      upstreamRes.on('close', () => {
        if (!upstreamRes.complete) res.destroy();
      });
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
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const audited: Audited = {
      entry: { user: null, method: req.method ?? 'GET', path: rawPath.slice(0, AUDIT_PATH_MAX) },
      recorded: false,
    };
    handle(req, res, audited).catch((error: unknown) => {
      const { message } = describeError(error);
      log.error({ err: describeError(error) }, 'broker request failed');
      // Refused with what is known of it, e.g. a device that went away while sending its body.
      if (!res.headersSent) refuse(res, audited, 502, `broker failure: ${message}`);
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
