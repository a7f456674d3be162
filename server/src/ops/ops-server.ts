// Operations endpoints: GET /healthz (status of CouchDB, the SOR and the queue; 503 when any is
// down), GET /metrics (Prometheus), GET /dead-letters (admin token; what failed and why), and two
// runbook actions (admin token): POST /dead-letters/replay {ids?} puts dead letters back on the
// queue, POST /poller/cursor {cursor} moves the SOR cursor (null: replay everything). With the
// device registry, the device endpoints too (devices/device-admin.ts: list, remote wipe).
// Every request with the admin token and every refusal is audited (`ops.request`); monitoring's
// own /healthz and /metrics are not (a scrape every few seconds). A request naming a host other
// than an address, localhost or a configured name is refused (DNS rebinding: a web page must not
// read dead letters or order wipes through the administrator's browser).
import http from 'node:http';
import { handleDeviceAdmin } from '../devices/device-admin.js';
import type { DeviceRegistry } from '../devices/types.js';
import type { HostCheck } from '../http/host-check.js';
import { createHostCheck } from '../http/host-check.js';
import { errorAnswer } from '../http/error-answer.js';
import { readJsonBody, sendJson } from '../http/json-http.js';
import type { AdminAudit } from '../audit/admin-audit.js';
import type { Metrics } from '../observability/metrics.js';
import { createLogger, describeError } from '../observability/logger.js';

const log = createLogger('ops');

export type HealthCheck = () => Promise<{ ok: boolean; detail?: unknown }>;

export function createOpsServer(deps: {
  metrics: Metrics;
  checks: Record<string, HealthCheck>;
  deadLetters: (limit: number) => Promise<unknown[]>;
  replayDeadLetters?: (ids?: readonly string[]) => Promise<number>;
  resetCursor?: (cursor: string | null) => Promise<void>;
  isAdmin: (req: http.IncomingMessage) => boolean;
  devices?: DeviceRegistry;
  /** How long one check may take before it counts as failed (a monitor must get an answer). */
  checkTimeoutMs?: number;
  /** Records what administrators did and every refusal; the server wires it. */
  audit?: AdminAudit;
  /** Which Host headers it answers; default: addresses and localhost. */
  hostCheck?: HostCheck;
}): http.Server {
  const checkTimeoutMs = deps.checkTimeoutMs ?? 5_000;
  const hostAllowed = deps.hostCheck ?? createHostCheck([]);

  /** Answers a refusal, audited first. */
  function refuse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    body: Record<string, unknown>,
    reason: string,
  ): void {
    deps.audit?.refused(req, status, reason);
    sendJson(res, status, body);
  }

  /** A check's answer, or a failure once it has taken longer than checkTimeoutMs. */
  async function bounded(check: HealthCheck) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<{ ok: false; detail: string }>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, detail: `No answer within ${checkTimeoutMs} ms.` }),
        checkTimeoutMs,
      );
    });
    try {
      return await Promise.race([check(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function health() {
    const entries = await Promise.all(
      Object.entries(deps.checks).map(async ([name, check]) => {
        try {
          return [name, await bounded(check)] as const;
        } catch (error) {
          // /healthz answers anyone who can reach the ops port, unauthenticated, and a failure's
          // message can carry what was being connected to (a broker URL with its password, an
          // internal host name). The reason goes to the server log, which is for operators.
          log.warn({ check: name, err: describeError(error) }, 'health check failed');
          return [
            name,
            { ok: false, detail: 'The check failed; the server log says why.' },
          ] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const ok = entries.every(([, result]) => result.ok);
    return { ok, body: { status: ok ? 'ok' : 'degraded', checks } };
  }

  async function runbookAction(
    pathname: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    if (pathname !== '/dead-letters/replay' && pathname !== '/poller/cursor') {
      return refuse(req, res, 404, { error: 'not_found' }, 'no such endpoint');
    }
    if (!deps.isAdmin(req)) {
      return refuse(req, res, 401, { error: 'unauthorized' }, 'no valid admin token');
    }
    // A bad body is answered by the one error mapping (http/error-answer.ts), as every failure.
    const body = await readJsonBody(req, 1024 * 1024);
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<
      string,
      unknown
    >;
    if (pathname === '/dead-letters/replay') {
      const ids = input['ids'];
      if (ids !== undefined && !(Array.isArray(ids) && ids.every((i) => typeof i === 'string'))) {
        const message = 'ids must be a list of strings.';
        return refuse(req, res, 400, { error: 'bad_request', message }, message);
      }
      if (!deps.replayDeadLetters) {
        return refuse(req, res, 404, { error: 'not_found' }, 'no dead-letter replay here');
      }
      const replayed = await deps.replayDeadLetters(ids);
      log.warn({ replayed, ids: ids ?? 'all' }, 'dead letters replayed by an operator');
      deps.audit?.allowed(req, 'dead letters replayed', {
        replayed,
        ids: ids?.slice(0, 100) ?? 'all',
      });
      return sendJson(res, 200, { replayed });
    }
    const cursor = input['cursor'];
    if (cursor !== null && typeof cursor !== 'string') {
      const message =
        'Send {"cursor": "<value>"}, or {"cursor": null} to replay from the beginning.';
      return refuse(req, res, 400, { error: 'bad_request', message }, message);
    }
    if (!deps.resetCursor) {
      return refuse(req, res, 404, { error: 'not_found' }, 'no poller cursor here');
    }
    await deps.resetCursor(cursor);
    deps.audit?.allowed(req, 'poller cursor moved', { cursor });
    return sendJson(res, 200, { cursor });
  }

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ops.invalid');
    const task = (async () => {
      if (!hostAllowed(req.headers.host)) {
        const message =
          'This server answers only requests addressed to it by IP address, localhost or a configured name (ATTACHE_ADMIN_HOST_NAMES).';
        return refuse(req, res, 403, { error: 'forbidden', message }, 'foreign host name');
      }
      if (deps.devices && url.pathname.startsWith('/devices')) {
        if (!deps.isAdmin(req)) {
          return refuse(req, res, 401, { error: 'unauthorized' }, 'no valid admin token');
        }
        if (await handleDeviceAdmin(deps.devices, req, res, url, deps.audit)) return;
        return refuse(req, res, 404, { error: 'not_found' }, 'no such endpoint');
      }
      if (req.method === 'POST') return runbookAction(url.pathname, req, res);
      if (req.method !== 'GET') {
        return refuse(req, res, 405, { error: 'method_not_allowed' }, 'method not allowed');
      }
      switch (url.pathname) {
        case '/healthz': {
          const result = await health();
          return sendJson(res, result.ok ? 200 : 503, result.body);
        }
        case '/metrics': {
          const text = await deps.metrics.registry.metrics();
          res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
          res.end(text);
          return;
        }
        case '/dead-letters': {
          if (!deps.isAdmin(req)) {
            return refuse(req, res, 401, { error: 'unauthorized' }, 'no valid admin token');
          }
          const limit = Math.min(
            Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1),
            1000,
          );
          const deadLetters = await deps.deadLetters(limit);
          deps.audit?.allowed(req, 'dead letters listed', { count: deadLetters.length });
          return sendJson(res, 200, { deadLetters });
        }
        default:
          return refuse(req, res, 404, { error: 'not_found' }, 'no such endpoint');
      }
    })();
    task.catch((error: unknown) => {
      const answer = errorAnswer(error, 'the ops server');
      if (!answer.expected) log.error({ err: describeError(error) }, 'ops request failed');
      if (!res.headersSent) refuse(req, res, answer.status, answer.body, answer.reason);
    });
  });
}
