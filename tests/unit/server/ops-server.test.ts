// /healthz of the ops server with one check down: a monitor sees 503 "degraded" and which
// dependency failed; an anonymous caller never sees what a failure message carried.
import type http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../../server/src/http/json-http.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import { createMetrics } from '../../../server/src/observability/metrics.js';
import type { HealthCheck } from '../../../server/src/observability/ops-server.js';
import { createOpsServer } from '../../../server/src/observability/ops-server.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => closeServer(s)));
});

const up: HealthCheck = () => Promise.resolve({ ok: true });
const depth = { ready: 0, delayed: 0, leased: 0, dead: 0 };

async function healthz(checks: Record<string, HealthCheck>, checkTimeoutMs?: number) {
  const server = createOpsServer({
    metrics: createMetrics({ queueDepth: () => Promise.resolve(depth) }),
    checks,
    deadLetters: () => Promise.resolve([]),
    isAdmin: () => false,
    ...(checkTimeoutMs === undefined ? {} : { checkTimeoutMs }),
  });
  servers.push(server);
  const port = await listen(server, '127.0.0.1', 0);
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as unknown };
}

describe('/healthz', () => {
  it('answers 200 "ok" when every check passes', async () => {
    const res = await healthz({ couch: up, sor: up, queue: up });
    expect(res).toMatchObject({
      status: 200,
      body: {
        status: 'ok',
        checks: { couch: { ok: true }, sor: { ok: true }, queue: { ok: true } },
      },
    });
  });

  it('answers in time when a check hangs, counting it as failed', async () => {
    const started = Date.now();
    const res = await healthz({ couch: up, sor: () => new Promise(() => undefined) }, 200);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res).toMatchObject({
      status: 503,
      body: {
        status: 'degraded',
        checks: { couch: { ok: true }, sor: { ok: false, detail: 'No answer within 200 ms.' } },
      },
    });
  });

  it('answers 503 "degraded" naming the one check that failed, the others still ok', async () => {
    const res = await healthz({
      couch: up,
      sor: () => Promise.resolve({ ok: false }),
      queue: () => Promise.resolve({ ok: true, detail: depth }),
    });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'degraded',
      checks: { couch: { ok: true }, sor: { ok: false }, queue: { ok: true, detail: depth } },
    });
  });

  it('counts a check that throws as failed, without echoing its message to the caller', async () => {
    const password = 'Rabbit-Pa55word-not-for-monitors';
    const res = await healthz({
      couch: up,
      sor: up,
      queue: () =>
        Promise.reject(
          new Error(`RabbitMQ is unreachable (amqps://attache:${password}@mq.internal:5671)`),
        ),
    });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      status: 'degraded',
      checks: {
        couch: { ok: true },
        sor: { ok: true },
        queue: { ok: false, detail: 'The check failed; the server log says why.' },
      },
    });
    expect(res.text).not.toContain(password);
    expect(res.text).not.toContain('mq.internal');
  });
});
