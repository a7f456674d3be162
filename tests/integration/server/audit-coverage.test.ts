// What the audit trail holds besides the broker's decisions, on the real embedded server: the
// demo SOR admin API's refusals and the administrator's actions (a briefing created, shared),
// requests Node's HTTP parser refuses on every server (a malformed request line, oversized
// headers), and the Host check of the ops and SOR admin ports (DNS rebinding).
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

let h: Harness;
let ca: string;

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false, auditRefusalWindowMs: 1_000 });
  ca = fs.readFileSync(h.server.files.devCa ?? '', 'utf8');
});
afterAll(async () => {
  await h?.stop();
});

type AuditRecord = Record<string, unknown>;
const records = (): AuditRecord[] =>
  fs
    .readFileSync(h.server.files.auditLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditRecord);
const waitForRecord = (what: string, match: Record<string, unknown>) =>
  waitFor(what, () =>
    Promise.resolve(
      records().find((r) => Object.entries(match).every(([k, v]) => r[k] === v)) ?? undefined,
    ),
  );

/** Sends `bytes` as they are (no HTTP client would) and returns the status line of the answer. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket =
      protocol === 'https:'
        ? tls.connect({ host: hostname, port: Number(port), ca, servername: hostname })
        : net.connect({ host: hostname, port: Number(port) });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(answer) : reject(error),
    );
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.once(protocol === 'https:' ? 'secureConnect' : 'connect', () => socket.write(bytes));
  });
}

/** A request with a Host header of our choosing. */
function requestWithHost(url: string, host: string, headers: Record<string, string> = {}) {
  const target = new URL(url);
  return new Promise<number>((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        setHost: false,
        headers: { host, ...headers },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the demo SOR admin API', () => {
  it('records a refused request and the briefing an administrator created and shared', async () => {
    const refused = await fetch(`${h.server.urls.sor}/admin/briefings`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-admin-token', 'content-type': 'application/json' },
      body: JSON.stringify(briefingInput('Never created', ['alex.morgan'])),
    });
    expect(refused.status).toBe(401);
    await waitForRecord('the refused create', {
      action: 'sor-admin.request',
      decision: 'refused',
      status: 401,
      method: 'POST',
      path: '/admin/briefings',
    });

    const invalid = await h.admin('POST', '/briefings', { title: '' });
    expect(invalid.status).toBe(400);
    await waitForRecord('the invalid create', {
      action: 'sor-admin.request',
      decision: 'refused',
      status: 400,
      reason: 'The request body is invalid.',
    });

    const created = await h.admin('POST', '/briefings', briefingInput('Audited', ['alex.morgan']));
    expect(created.status).toBe(201);
    const { sorId } = created.body as { sorId: string };
    const record = await waitForRecord('the created briefing', {
      action: 'sor-admin.request',
      decision: 'allowed',
      reason: 'briefing created',
      sorId,
    });
    expect(record).toMatchObject({ status: 201, recipients: ['alex.morgan'], client: '127.0.0.1' });

    expect(
      (await h.admin('POST', `/briefings/${sorId}/share`, { users: ['sam.taylor'] })).status,
    ).toBe(200);
    await waitForRecord('the share', {
      action: 'sor-admin.request',
      reason: 'briefing shared',
      sorId,
    });
    expect(JSON.stringify(records())).not.toContain(h.adminToken);
  });
});

describe('requests Node’s HTTP parser refuses', () => {
  const servers = () =>
    [
      ['sor-admin', h.server.urls.sor],
      ['broker', h.server.urls.broker],
      ['ops', h.server.urls.ops],
      ['idp', h.server.urls.idp ?? ''],
    ] as const;

  it('answers a malformed request line 400 and oversized headers 431 on every server, and records both', async () => {
    for (const [name, url] of servers()) {
      expect(await rawExchange(url, 'GARBAGE\r\n\r\n'), name).toBe('HTTP/1.1 400 Bad Request');
      const huge = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'a'.repeat(32 * 1024)}\r\n\r\n`;
      expect(await rawExchange(url, huge), name).toBe(
        'HTTP/1.1 431 Request Header Fields Too Large',
      );
      for (const status of [400, 431]) {
        await waitForRecord(`${name}: the ${status} in the audit trail`, {
          action: 'http.refused',
          server: name,
          status,
          decision: 'refused',
          client: '127.0.0.1',
        });
      }
    }
  });
});

describe('Host header (DNS rebinding)', () => {
  it('the ops and SOR admin ports refuse a foreign host name, and record it', async () => {
    const auth = { authorization: `Bearer ${h.adminToken}` };
    const ops = `${h.server.urls.ops}/dead-letters`;
    const sor = `${h.server.urls.sor}/admin/briefings`;
    expect(await requestWithHost(ops, 'rebound.attacker.example', auth)).toBe(403);
    expect(await requestWithHost(sor, 'rebound.attacker.example', auth)).toBe(403);
    expect(await requestWithHost(ops, `localhost:${new URL(ops).port}`, auth)).toBe(200);
    expect(await requestWithHost(sor, new URL(sor).host, auth)).toBe(200);
    for (const action of ['ops.request', 'sor-admin.request']) {
      await waitForRecord(`${action} refused for its host`, {
        action,
        decision: 'refused',
        status: 403,
      });
    }
  });
});
