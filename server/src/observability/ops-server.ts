// Operations endpoints: GET /healthz (status of CouchDB, the SOR and the queue; 503 when any is
// down), GET /metrics (Prometheus), GET /dead-letters (admin token; what failed and why), and two
// runbook actions (admin token): POST /dead-letters/replay {ids?} puts dead letters back on the
// queue, POST /poller/cursor {cursor} moves the SOR cursor (null: replay everything). With the
// device registry, the device endpoints too (devices/device-admin.ts: list, remote wipe).
import http from 'node:http';
import { handleDeviceAdmin } from '../devices/device-admin.js';
import type { DeviceRegistry } from '../devices/types.js';
import { BodyError, readJsonBody, sendJson } from '../http/json-http.js';
import type { Metrics } from './metrics.js';
import { createLogger, describeError } from './logger.js';

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
}): http.Server {
  const checkTimeoutMs = deps.checkTimeoutMs ?? 5_000;

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
      return sendJson(res, 404, { error: 'not_found' });
    }
    if (!deps.isAdmin(req)) return sendJson(res, 401, { error: 'unauthorized' });
    let body: unknown;
    try {
      body = await readJsonBody(req, 1024 * 1024);
    } catch (error) {
      if (error instanceof BodyError) {
        return sendJson(res, error.status, { error: 'bad_request', message: error.message });
      }
      throw error;
    }
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<
      string,
      unknown
    >;
    if (pathname === '/dead-letters/replay') {
      const ids = input['ids'];
      if (ids !== undefined && !(Array.isArray(ids) && ids.every((i) => typeof i === 'string'))) {
        return sendJson(res, 400, {
          error: 'bad_request',
          message: 'ids must be a list of strings.',
        });
      }
      if (!deps.replayDeadLetters) return sendJson(res, 404, { error: 'not_found' });
      const replayed = await deps.replayDeadLetters(ids);
      log.warn({ replayed, ids: ids ?? 'all' }, 'dead letters replayed by an operator');
      return sendJson(res, 200, { replayed });
    }
    const cursor = input['cursor'];
    if (cursor !== null && typeof cursor !== 'string') {
      return sendJson(res, 400, {
        error: 'bad_request',
        message: 'Send {"cursor": "<value>"}, or {"cursor": null} to replay from the beginning.',
      });
    }
    if (!deps.resetCursor) return sendJson(res, 404, { error: 'not_found' });
    await deps.resetCursor(cursor);
    return sendJson(res, 200, { cursor });
  }

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ops.invalid');
    const task = (async () => {
      if (deps.devices && url.pathname.startsWith('/devices')) {
        if (!deps.isAdmin(req)) return sendJson(res, 401, { error: 'unauthorized' });
        if (await handleDeviceAdmin(deps.devices, req, res, url)) return;
        return sendJson(res, 404, { error: 'not_found' });
      }
      if (req.method === 'POST') return runbookAction(url.pathname, req, res);
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'method_not_allowed' });
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
          if (!deps.isAdmin(req)) return sendJson(res, 401, { error: 'unauthorized' });
          const limit = Math.min(
            Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1),
            1000,
          );
          return sendJson(res, 200, { deadLetters: await deps.deadLetters(limit) });
        }
        default:
          return sendJson(res, 404, { error: 'not_found' });
      }
    })();
    task.catch((error: unknown) => {
      log.error({ err: describeError(error) }, 'ops request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal' });
    });
  });
}
