// /healthz of the ops server with one check down: a monitor sees 503 "degraded" and which
// dependency failed; an anonymous caller never sees what a failure message carried. The ops
// server answers only requests naming it by address, localhost or a configured name, and audits
// refusals and administrators' requests into a real trail.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditTrail } from '../../../server/src/audit/audit-trail.js';
import { createClientAddress } from '../../../server/src/http/client-address.js';
import { createHostCheck } from '../../../server/src/http/host-check.js';
import { closeServer, listen } from '../../../server/src/http/json-http.js';
import { createAdminAudit } from '../../../server/src/audit/admin-audit.js';
import { createRefusalAggregator } from '../../../server/src/audit/refusal-aggregator.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import { createMetrics } from '../../../server/src/observability/metrics.js';
import type { HealthCheck } from '../../../server/src/ops/ops-server.js';
import { createOpsServer } from '../../../server/src/ops/ops-server.js';
import { QueueUnavailableError } from '../../../server/src/queue/types.js';

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

/** GET with a Host header of our choosing (fetch sets its own). */
function getWithHost(
  port: number,
  route: string,
  host: string | null,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: route, setHost: false, headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    if (host !== null) req.setHeader('host', host);
    req.on('error', reject);
    req.end();
  });
}

describe('who the ops server answers, and what it records', () => {
  const ADMIN = 'admin-token-for-this-test-only-0123456789';
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-ops-'));
    dirs.push(dir);
    const trail = createAuditTrail({ file: path.join(dir, 'audit.jsonl'), instance: 'ops-test' });
    const refusals = createRefusalAggregator({ audit: trail, windowMs: 60_000 });
    const server = createOpsServer({
      metrics: createMetrics({ queueDepth: () => Promise.resolve(depth) }),
      checks: { couch: up },
      deadLetters: () => Promise.resolve([{ id: 'dl-1' }]),
      isAdmin: (req) => req.headers.authorization === `Bearer ${ADMIN}`,
      audit: createAdminAudit({
        server: 'ops',
        audit: trail,
        refusals,
        clientOf: createClientAddress([]),
      }),
      hostCheck: createHostCheck(['ops.attache.internal']),
    });
    servers.push(server);
    server.on('close', () => {
      refusals.close();
      void trail.close();
    });
    const port = await listen(server, '127.0.0.1', 0);
    const records = () =>
      fs
        .readFileSync(trail.file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { port, records };
  }

  it('refuses a request naming a foreign host (DNS rebinding), and answers an address, localhost or a configured name', async () => {
    const { port, records } = await start();
    const auth = { authorization: `Bearer ${ADMIN}` };
    // (No Host at all Node itself refuses with 400, before any handler.)
    for (const host of ['rebind.attacker.example', `rebind.attacker.example:${port}`, '', 'a b']) {
      const reply = await getWithHost(port, '/dead-letters', host, auth);
      expect(reply.status, String(host)).toBe(403);
      expect(reply.text).not.toContain('dl-1');
    }
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      'LOCALHOST',
      `[::1]:${port}`,
      '10.1.2.3:5090',
      'ops.attache.internal:5090',
    ]) {
      expect((await getWithHost(port, '/dead-letters', host, auth)).status, host).toBe(200);
    }
    expect(records()).toContainEqual(
      expect.objectContaining({
        action: 'ops.request',
        decision: 'refused',
        reason: 'foreign host name',
        status: 403,
        path: '/dead-letters',
        client: '127.0.0.1',
      }),
    );
  });

  it('audits a refused request and what an administrator did, but not monitoring’s scrapes', async () => {
    const { port, records } = await start();
    const host = `127.0.0.1:${port}`;
    expect((await getWithHost(port, '/dead-letters', host)).status).toBe(401);
    expect(
      (await getWithHost(port, '/dead-letters', host, { authorization: 'Bearer guessed' })).status,
    ).toBe(401);
    expect((await getWithHost(port, '/no-such-thing', host)).status).toBe(404);
    expect(
      (await getWithHost(port, '/dead-letters', host, { authorization: `Bearer ${ADMIN}` })).status,
    ).toBe(200);
    expect((await getWithHost(port, '/healthz', host)).status).toBe(200);
    expect((await getWithHost(port, '/metrics', host)).status).toBe(200);

    const trail = records();
    expect(trail.filter((r) => r['decision'] === 'refused')).toEqual([
      expect.objectContaining({
        status: 401,
        reason: 'no valid admin token',
        path: '/dead-letters',
      }),
      expect.objectContaining({
        status: 401,
        reason: 'no valid admin token',
        path: '/dead-letters',
      }),
      expect.objectContaining({ status: 404, reason: 'no such endpoint', path: '/no-such-thing' }),
    ]);
    expect(trail.filter((r) => r['decision'] === 'allowed')).toEqual([
      expect.objectContaining({
        action: 'ops.request',
        reason: 'dead letters listed',
        count: 1,
        method: 'GET',
        path: '/dead-letters',
        status: 200,
      }),
    ]);
    expect(JSON.stringify(trail)).not.toContain(ADMIN);
    expect(JSON.stringify(trail)).not.toContain('guessed');
  });
});

describe('what the ops server answers for a failure (http/error-answer.ts)', () => {
  async function failingOps(error: Error) {
    const server = createOpsServer({
      metrics: createMetrics({ queueDepth: () => Promise.resolve(depth) }),
      checks: { couch: up },
      deadLetters: () => Promise.reject(error),
      isAdmin: () => true,
    });
    servers.push(server);
    const port = await listen(server, '127.0.0.1', 0);
    const res = await fetch(`http://127.0.0.1:${port}/dead-letters`);
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as unknown };
  }

  it('answers 503 "try again" when the queue is unreachable, without the broker’s address', async () => {
    const res = await failingOps(
      new QueueUnavailableError('RabbitMQ is unreachable (connect ECONNREFUSED mq.internal:5672).'),
    );
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: 'unavailable',
      message: 'The queue is unreachable. Try again in a moment.',
    });
    expect(res.text).not.toContain('mq.internal');
  });

  it('answers 500 with a message pointing to the log for a bug', async () => {
    const res = await failingOps(new TypeError('dead is not iterable'));
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      error: 'internal',
      message: 'The ops server failed; see the server log.',
    });
  });
});
