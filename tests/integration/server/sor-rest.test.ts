// The REST SOR adapter against the demo SOR serving the contract over HTTP (the same contract an
// organisation's façade implements, server/openapi/sor-adapter.yaml), and against a hostile
// façade that breaks it in every way the adapter must survive.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../../server/src/http/json-http.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { createSorAdminServer } from '../../../server/src/demo/sor/admin-api.js';
import { createDemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import type { DemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import { SOR_API_PREFIX } from '../../../server/src/sor/sor-contract.js';
import { createRestSorAdapter } from '../../../server/src/sor/sor.rest.js';
import type { SorAdapter } from '../../../server/src/sor/types.js';
import { SorRecordError, SorUnavailableError } from '../../../server/src/sor/types.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

const TOKEN = 'test-token-0123456789abcdef0123456789abcdef';
let dir: string;
let sor: DemoSor;
let server: http.Server;
let base: string;
let rest: SorAdapter;

const content = (title: string) => ({
  title,
  summary: '',
  bodyHtml: `<p>${title}</p>`,
  classification: 'OFFICIAL',
  priority: 'routine',
  sender: { name: 'Unit', role: 'Dept' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});
const bytes = (text: string) => new TextEncoder().encode(text);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-sor-rest-'));
  sor = createDemoSor({ file: path.join(dir, 'sor.sqlite') });
  server = createSorAdminServer({ sor, adminToken: TOKEN });
  const port = await listen(server, '127.0.0.1', 0);
  base = `http://127.0.0.1:${port}${SOR_API_PREFIX}`;
  rest = createRestSorAdapter({ baseUrl: base, token: TOKEN, timeoutMs: 5_000 });
});
afterAll(async () => {
  await closeServer(server);
  sor.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('REST SOR adapter against the demo SOR', () => {
  it('reads the change log in pages: shares per recipient, new versions, per-recipient unshares', async () => {
    const a = sor.create({ content: content('A'), recipients: ['ann', 'bob'] });
    const b = sor.create({ content: content('B'), recipients: ['bob'] });
    sor.update(a.sorId, { content: content('A v2') });
    sor.unshare(a.sorId, ['ann']);

    const seen = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i += 1) {
      const page = await rest.listChanges(cursor, 2);
      expect(page.malformed).toEqual([]);
      seen.push(...page.changes);
      if (page.changes.length === 0) {
        expect(page.nextCursor).toBe(cursor); // nothing new: the same cursor back
        break;
      }
      cursor = page.nextCursor;
    }
    expect(seen.map((c) => [c.kind, c.sorId, c.recipient, c.version])).toEqual([
      ['share', a.sorId, 'ann', 1],
      ['share', a.sorId, 'bob', 1],
      ['share', b.sorId, 'bob', 1],
      ['share', a.sorId, 'ann', 2],
      ['share', a.sorId, 'bob', 2],
      ['unshare', a.sorId, 'ann', 2],
    ]);
    expect(seen.map((c) => c.seq)).toEqual([...seen.map((c) => c.seq)].sort((x, y) => x - y));
  });

  it('fetches the current version with its recipients now and its attachments’ bytes', async () => {
    const pdf = bytes('%PDF-1.7\nfirst\n');
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    const created = sor.create({
      content: content('With files'),
      recipients: ['cat', 'dan'],
      attachments: [
        { name: 'paper one.pdf', contentType: 'application/pdf', data: pdf },
        { name: 'chart.png', contentType: 'image/png', data: png },
      ],
    });
    sor.unshare(created.sorId, ['dan']);
    const doc = await rest.fetchDocument(created.sorId);
    expect(doc).toMatchObject({
      sorId: created.sorId,
      version: 1,
      recipients: ['cat'],
      content: { title: 'With files' },
    });
    const files = Object.fromEntries(doc!.attachments.map((f) => [f.name, f]));
    expect(files['paper one.pdf']?.contentType).toBe('application/pdf');
    expect(Buffer.from(files['paper one.pdf']!.data)).toEqual(Buffer.from(pdf));
    expect(Buffer.from(files['chart.png']!.data)).toEqual(Buffer.from(png));
    expect(await rest.fetchShareState(created.sorId)).toEqual({
      sorId: created.sorId,
      version: 1,
      recipients: ['cat'],
    });

    // A new version replaces the attachments; the adapter reads the new version's bytes.
    sor.update(created.sorId, {
      content: content('With files v2'),
      attachments: [
        { name: 'paper two.pdf', contentType: 'application/pdf', data: bytes('%PDF-2') },
      ],
    });
    const v2 = await rest.fetchDocument(created.sorId);
    expect(v2?.version).toBe(2);
    expect(v2?.attachments.map((f) => f.name)).toEqual(['paper two.pdf']);
  });

  it('answers null for a document the SOR does not have', async () => {
    expect(await rest.fetchDocument('BRF-999999')).toBeNull();
    expect(await rest.fetchShareState('BRF-999999')).toBeNull();
    expect(await rest.fetchShareHistory('BRF-999999', 'ann')).toBeNull();
  });

  it('tells when a document was shared with a user: every interval, past and present', async () => {
    let clock = Date.parse('2026-02-01T09:00:00.000Z');
    const timed = createDemoSor({
      file: path.join(dir, 'timed.sqlite'),
      now: () => new Date((clock += 60_000)),
    });
    const timedServer = createSorAdminServer({ sor: timed, adminToken: TOKEN });
    const port = await listen(timedServer, '127.0.0.1', 0);
    const adapter = createRestSorAdapter({
      baseUrl: `http://127.0.0.1:${port}${SOR_API_PREFIX}`,
      token: TOKEN,
      timeoutMs: 5_000,
    });
    try {
      const doc = timed.create({ content: content('History'), recipients: ['ann', 'a/b@x'] }); // 09:01
      timed.update(doc.sorId, { content: content('History v2') }); // 09:02, not a new share
      timed.unshare(doc.sorId, ['ann']); // 09:03
      timed.share(doc.sorId, ['ann']); // 09:04
      expect(await adapter.fetchShareHistory(doc.sorId, 'ann')).toEqual({
        sorId: doc.sorId,
        userId: 'ann',
        intervals: [
          { from: '2026-02-01T09:01:00.000Z', until: '2026-02-01T09:03:00.000Z' },
          { from: '2026-02-01T09:04:00.000Z', until: null },
        ],
      });
      // A user id with characters a path would mangle goes in the query.
      expect((await adapter.fetchShareHistory(doc.sorId, 'a/b@x'))?.intervals).toEqual([
        { from: '2026-02-01T09:01:00.000Z', until: null },
      ]);
      expect((await adapter.fetchShareHistory(doc.sorId, 'never'))?.intervals).toEqual([]);
    } finally {
      await closeServer(timedServer);
      timed.close();
    }
  });

  it('long-polls the change log: wakes as soon as a share is made, and says false when none comes', async () => {
    const { nextCursor } = await rest.listChanges(null, 10_000);
    expect(await rest.waitForChanges?.(nextCursor, 200, new AbortController().signal)).toBe(false);
    const started = Date.now();
    const waiting = rest.waitForChanges?.(nextCursor, 10_000, new AbortController().signal);
    setTimeout(() => sor.create({ content: content('Woken'), recipients: ['ann'] }), 100);
    expect(await waiting).toBe(true);
    // Woken by the share, far sooner than the 10 s the long poll may last.
    expect(Date.now() - started).toBeLessThan(5_000);
    const page = await rest.listChanges(nextCursor, 10);
    expect(page.changes.map((c) => c.recipient)).toEqual(['ann']);
  });

  it('refuses a long poll longer than the contract allows, with the limit in the message', async () => {
    const res = await fetch(`${base}/changes?limit=1&waitMs=600000`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('waitMs must be 0 to');
  });

  it('writes returns idempotently by key', async () => {
    const item = {
      idempotencyKey: 'eve:read-receipt:briefing:BRF-000001:1',
      userId: 'eve',
      type: 'read-receipt' as const,
      sorId: 'BRF-000001',
      payload: { readAt: '2026-01-02T00:00:00.000Z' },
    };
    expect(await rest.writeReturn(item)).toBe('stored');
    expect(await rest.writeReturn(item)).toBe('duplicate');
    expect(sor.listReturns().filter((r) => r.idempotencyKey === item.idempotencyKey)).toHaveLength(
      1,
    );
  });

  it('reports a wrong token and an unreachable SOR as unavailable (retried), never as bad data', async () => {
    const wrong = createRestSorAdapter({ baseUrl: base, token: 'wrong', timeoutMs: 5_000 });
    await expect(wrong.listChanges(null, 10)).rejects.toThrow(/refused our credentials \(401\)/);
    await expect(wrong.listChanges(null, 10)).rejects.toBeInstanceOf(SorUnavailableError);
    const down = createRestSorAdapter({
      baseUrl: 'http://127.0.0.1:9/sor/v1',
      token: TOKEN,
      timeoutMs: 2_000,
    });
    await expect(down.fetchDocument('BRF-000001')).rejects.toBeInstanceOf(SorUnavailableError);
    expect(await down.ping()).toBe(false);
    expect(await rest.ping()).toBe(true);
  });
});

describe('REST SOR adapter against a façade that breaks the contract', () => {
  let hostile: http.Server;
  let adapter: SorAdapter;
  const routes = new Map<string, (res: http.ServerResponse) => void>();

  beforeAll(async () => {
    hostile = http.createServer((req, res) => {
      const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (route) route(res);
      else res.writeHead(404).end('{"error":"not_found"}');
    });
    const port = await listen(hostile, '127.0.0.1', 0);
    adapter = createRestSorAdapter({
      baseUrl: `http://127.0.0.1:${port}/sor/v1`,
      token: TOKEN,
      timeoutMs: 10_000,
    });
  });
  afterAll(async () => {
    await closeServer(hostile);
  });

  const json = (body: unknown) => (res: http.ServerResponse) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  it('keeps the good entries of a page and hands each malformed one over with the reason', async () => {
    routes.set(
      '/sor/v1/changes',
      json({
        changes: [
          { seq: 1, kind: 'share', sorId: 'X-1', recipient: 'ann', version: 1, approvedAt: 'now' },
          { seq: 2, kind: 'share', sorId: 'X-2', version: 1, approvedAt: 'now' },
          { seq: 3, kind: 'publish', sorId: 'X-3', recipient: 'ann', version: 1, approvedAt: 'x' },
          'not even an object',
        ],
        nextCursor: '4',
      }),
    );
    const page = await adapter.listChanges(null, 10);
    expect(page.changes.map((c) => c.sorId)).toEqual(['X-1']);
    expect(page.nextCursor).toBe('4');
    expect(page.malformed?.map((m) => m.reason)).toEqual([
      expect.stringMatching(/change #1 .*malformed: recipient: /),
      expect.stringMatching(/change #2 .*malformed: kind: /),
      expect.stringMatching(/change #3 .*malformed: \(record\): /),
    ]);
  });

  it('refuses a document that is not valid UTF-8', async () => {
    routes.set('/sor/v1/documents/BAD-UTF8', (res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        // 0xc3 0x28: a two-byte sequence whose second byte is not a continuation byte.
        new Uint8Array([...bytes('{"sorId":"BAD-UTF8","x":"'), 0xc3, 0x28, ...bytes('"}')]),
      ),
    );
    const failure = adapter.fetchDocument('BAD-UTF8');
    await expect(failure).rejects.toBeInstanceOf(SorRecordError);
    await expect(failure).rejects.toThrow('is not valid UTF-8');
  });

  it('refuses a 50 MB document while it streams, without reading it all', async () => {
    routes.set('/sor/v1/documents/HUGE', (res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // no content-length: streamed
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      res.write('{"sorId":"HUGE","content":{"bodyHtml":"');
      let sent = 0;
      const push = () => {
        while (sent < 50 && res.write(chunk)) sent += 1;
        if (sent < 50) res.once('drain', push);
        else res.end('"}}');
      };
      push();
      res.on('error', () => undefined);
    });
    const failure = adapter.fetchDocument('HUGE');
    await expect(failure).rejects.toBeInstanceOf(SorRecordError);
    await expect(failure).rejects.toThrow(/is larger than 16777216 bytes/);
  });

  it('refuses a document that breaks the contract, naming the fields', async () => {
    routes.set('/sor/v1/documents/NO-FIELDS', json({ sorId: 'NO-FIELDS', content: {} }));
    await expect(adapter.fetchDocument('NO-FIELDS')).rejects.toThrow(
      /breaks the contract: version: .*recipients: .*attachments: /,
    );
    routes.set('/sor/v1/documents/NOT-JSON', (res) => res.writeHead(200).end('<html>oops</html>'));
    await expect(adapter.fetchDocument('NOT-JSON')).rejects.toThrow('is not JSON');
  });

  it('refuses attachment bytes that do not match their declared size and digest', async () => {
    routes.set(
      '/sor/v1/documents/SWAP',
      json({
        sorId: 'SWAP',
        version: 1,
        approvedAt: '2026-01-01T00:00:00Z',
        recipients: ['ann'],
        content: content('swap'),
        attachments: [
          { name: 'a.pdf', contentType: 'application/pdf', size: 3, sha256: 'a'.repeat(64) },
        ],
      }),
    );
    routes.set('/sor/v1/documents/SWAP/versions/1/attachments/a.pdf', (res) =>
      res.writeHead(200, { 'content-type': 'application/pdf' }).end('abc'),
    );
    await expect(adapter.fetchDocument('SWAP')).rejects.toThrow(
      /does not match its declared size and SHA-256/,
    );
  });

  it('refuses a share history that breaks the contract or answers for someone else', async () => {
    routes.set(
      '/sor/v1/documents/H-1/share-history',
      json({ sorId: 'H-1', userId: 'ann', intervals: [{ from: 'last tuesday', until: null }] }),
    );
    await expect(adapter.fetchShareHistory('H-1', 'ann')).rejects.toThrow(
      /breaks the contract: intervals\.0\.from: expected an ISO 8601 time/,
    );
    routes.set(
      '/sor/v1/documents/H-2/share-history',
      json({ sorId: 'H-2', userId: 'bob', intervals: [] }),
    );
    const other = adapter.fetchShareHistory('H-2', 'ann');
    await expect(other).rejects.toBeInstanceOf(SorRecordError);
    await expect(other).rejects.toThrow(
      /answered share history of "H-2" with "ann" with "H-2" and "bob"/,
    );
  });

  it('does not take a façade without share history for a SOR without the document', async () => {
    // A façade from before the operation: 404 for the route, while the document exists.
    routes.set(
      '/sor/v1/documents/OLD-1/recipients',
      json({ sorId: 'OLD-1', version: 1, recipients: ['ann'] }),
    );
    const waiting = adapter.fetchShareHistory('OLD-1', 'ann');
    await expect(waiting).rejects.toBeInstanceOf(SorUnavailableError);
    await expect(waiting).rejects.toThrow(
      /does not implement GET \/documents\/\{sorId\}\/share-history/,
    );
    // Both 404: the document is not there.
    expect(await adapter.fetchShareHistory('GONE-1', 'ann')).toBeNull();
  });

  it('stops long-polling an SOR that ignores waitMs, so it is not asked twice per poll', async () => {
    let asked = 0;
    routes.set('/sor/v1/changes', (res) => {
      asked += 1;
      json({ changes: [], nextCursor: '7' })(res);
    });
    const signal = new AbortController().signal;
    expect(await adapter.waitForChanges?.('7', 1_000, signal)).toBe(false);
    expect(await adapter.waitForChanges?.('7', 1_000, signal)).toBe(false);
    expect(asked).toBe(1);
    routes.delete('/sor/v1/changes');
  });

  it('treats 5xx as the SOR being unavailable', async () => {
    routes.set('/sor/v1/documents/DOWN', (res) => res.writeHead(503).end());
    await expect(adapter.fetchDocument('DOWN')).rejects.toBeInstanceOf(SorUnavailableError);
  });
});

describe('the OpenAPI contract file', () => {
  it('documents every route and every field the adapter relies on', () => {
    const yaml = fs.readFileSync(
      new URL('../../../server/openapi/sor-adapter.yaml', import.meta.url),
      'utf8',
    );
    expect(yaml).toMatch(/^openapi: 3\.1\.\d+$/m);
    for (const route of [
      '/health:',
      '/changes:',
      '/documents/{sorId}:',
      '/documents/{sorId}/recipients:',
      '/documents/{sorId}/share-history:',
      '/documents/{sorId}/versions/{version}/attachments/{name}:',
      '/returns:',
    ]) {
      expect(yaml).toContain(`  ${route}`);
    }
    for (const field of [
      'nextCursor',
      'approvedAt',
      'recipients',
      'sha256',
      'idempotencyKey',
      'intervals',
      'until',
      'waitMs',
      'longPoll',
    ]) {
      expect(yaml).toContain(field);
    }
  });
});
