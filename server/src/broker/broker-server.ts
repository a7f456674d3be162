// The auth broker: the devices' only door to CouchDB. Each request goes through one pipeline,
// numbered below: who (the bearer token against the identity provider's keys), how often (the
// user's request rate and open requests), which device (device-door.ts: wipe orders), what (the
// fixed aliases /db/briefings and /db/returns mapped to the token user's own databases; endpoint,
// method, query parameters and body judged against the allow-list, allow-list.ts), how much
// (bounded bodies, the returns volume), which revisions (live leaves only), and finally the
// proxy to CouchDB as that user (broker-proxy.ts, upstream.ts) so CouchDB enforces `_security`
// too. Every decision is audited and every refusal looks the same to the device
// (broker-answers.ts); so does every failure of the CouchDB-protocol server.
//
// Where each step lives: broker-request.ts reads the request; broker-policy.ts and its rule
// files judge it; broker-answers.ts answers and records; device-door.ts handles devices and
// wipe orders; broker-proxy.ts streams the allowed request and its answer.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
import type { Audited } from './broker-answers.js';
import { auditedRequest, createBrokerAnswers, uniformStatus } from './broker-answers.js';
import { createBrokerProxy } from './broker-proxy.js';
import { readBody } from '../couch/read-body.js';
import { splitUrl } from './broker-request.js';
import { checkBody, decideQuery, decideRoute } from './broker-policy.js';
import type { RefusalAggregator } from '../audit/refusal-aggregator.js';
import { createDeviceDoor } from './device-door.js';
import type { PreAuthGate } from './pre-auth-limit.js';
import type { RateLimiter } from './rate-limit.js';
import type { ReturnsGate } from './returns-gate.js';
import { createUpstream } from './upstream.js';
import type { TokenVerifier } from './types.js';

const log = createLogger('broker');

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

export function createBrokerServer(deps: BrokerDeps): http.Server {
  const upstream = createUpstream({
    couchUrl: deps.couchUrl,
    socketPath: deps.couchSocketPath ?? null,
    userDbs: deps.userDbs,
  });
  const answers = createBrokerAnswers(deps);
  const { allowed, refuse } = answers;
  const devices = createDeviceDoor({
    ...(deps.devices ? { devices: deps.devices } : {}),
    answers,
  });
  const proxy = createBrokerProxy({ upstream, answers });

  /** Open requests per user: a feed held open costs an upstream connection until it closes. */
  const open = new Map<string, number>();

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
    if (await devices.admit(req, res, audited, user, rawPath)) return;

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

  const server = http.createServer((req, res) => {
    const audited = auditedRequest(req);
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
  server.on('close', () => devices.close());
  return server;
}
