// Operations endpoints: GET /healthz (status of CouchDB, the SOR and the queue; 503 when any is
// down), GET /metrics (Prometheus), GET /dead-letters (admin token; what failed and why).
import http from 'node:http';
import { sendJson } from '../http/json-http.js';
import type { Metrics } from './metrics.js';
import { createLogger, describeError } from './logger.js';

const log = createLogger('ops');

export type HealthCheck = () => Promise<{ ok: boolean; detail?: unknown }>;

export function createOpsServer(deps: {
  metrics: Metrics;
  checks: Record<string, HealthCheck>;
  deadLetters: (limit: number) => Promise<unknown[]>;
  isAdmin: (req: http.IncomingMessage) => boolean;
}): http.Server {
  async function health() {
    const entries = await Promise.all(
      Object.entries(deps.checks).map(async ([name, check]) => {
        try {
          return [name, await check()] as const;
        } catch (error) {
          return [name, { ok: false, detail: describeError(error).message }] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const ok = entries.every(([, result]) => result.ok);
    return { ok, body: { status: ok ? 'ok' : 'degraded', checks } };
  }

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ops.invalid');
    const task = (async () => {
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
