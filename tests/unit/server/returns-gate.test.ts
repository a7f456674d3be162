import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../server/src/audit/types.js';
import { createReturnsGate } from '../../../server/src/broker/returns-gate.js';
import { createMetrics } from '../../../server/src/observability/metrics.js';

const USER = 'ann';
const receipt = (extra: Record<string, unknown> = {}) => ({
  _id: `read-receipt:${randomUUID()}`,
  type: 'read-receipt',
  briefingId: 'briefing:BRF-1',
  sorId: 'BRF-1',
  sourceVersion: 1,
  readAt: '2026-03-01T08:00:00.000Z',
  author: USER,
  ...extra,
});
const bulk = (count: number, extra: Record<string, unknown> = {}) => ({
  write: 'bulk_docs' as const,
  body: Buffer.from(JSON.stringify({ docs: Array.from({ length: count }, () => receipt(extra)) })),
});
const BULK = { write: 'bulk_docs' as const, dbPath: '/_bulk_docs' };

function setUp(options: { maxPerHour?: number; maxPerRequest?: number } = {}) {
  let t = 0;
  const audit: AuditEntry[] = [];
  const metrics = createMetrics({
    queueDepth: () => Promise.resolve({ ready: 0, leased: 0, dead: 0 }),
  });
  const gate = createReturnsGate({
    maxPerHour: options.maxPerHour ?? 3600,
    maxPerRequest: options.maxPerRequest ?? 500,
    audit: { record: (entry) => audit.push(entry), close: () => Promise.resolve() },
    metrics,
    now: () => t,
  });
  const refused = async (where: string, reason: string) => {
    const metric = await metrics.registry.getSingleMetricAsString('attache_returns_refused_total');
    const line = metric
      .split('\n')
      .find((l) =>
        l.startsWith(`attache_returns_refused_total{where="${where}",reason="${reason}"}`),
      );
    return Number(line?.split(' ').at(-1));
  };
  return { gate, audit, refused, advance: (ms: number) => (t += ms) };
}

describe('the returns gate at the broker', () => {
  it('lets a long flight’s backlog through at once, then holds a user to the hourly rate', async () => {
    const { gate, advance, refused } = setUp({ maxPerHour: 3600 });
    // 3,600 receipts in 72 requests of 50, as the device sends them.
    for (let n = 0; n < 72; n += 1) expect(gate.check(USER, BULK, bulk(50).body).ok).toBe(true);
    const over = gate.check(USER, BULK, bulk(50).body);
    // One an hour per document of the 3,600: 50 documents take 50 seconds to come back.
    expect(over).toEqual({
      ok: false,
      status: 429,
      reason: 'returns volume: 50 more would exceed 3600 an hour',
      headers: { 'retry-after': '50' },
    });
    expect(await refused('broker', 'hourly_limit')).toBe(1);
    advance(49_000);
    expect(gate.check(USER, BULK, bulk(50).body).ok).toBe(false);
    advance(1_000);
    expect(gate.check(USER, BULK, bulk(50).body).ok).toBe(true);
    // Another person is not affected.
    expect(gate.check('bob', BULK, bulk(50, { author: 'bob' }).body).ok).toBe(true);
  });

  it('counts a single document written with PUT as one', () => {
    const { gate } = setUp({ maxPerHour: 2, maxPerRequest: 2 });
    const put = (id: string) =>
      gate.check(
        USER,
        { write: 'doc', dbPath: `/${encodeURIComponent(id)}` },
        Buffer.from(JSON.stringify(receipt({ _id: undefined }))),
      );
    expect(put(`read-receipt:${randomUUID()}`).ok).toBe(true);
    expect(put(`read-receipt:${randomUUID()}`).ok).toBe(true);
    expect(put(`read-receipt:${randomUUID()}`)).toMatchObject({ ok: false, status: 429 });
  });

  it('refuses more documents in one request than the limit, whatever the wait (413)', async () => {
    const { gate, refused } = setUp({ maxPerRequest: 500, maxPerHour: 5000 });
    expect(gate.check(USER, BULK, bulk(2000).body)).toEqual({
      ok: false,
      status: 413,
      reason: '2000 returns in one request, over the limit of 500',
      headers: {},
    });
    expect(await refused('broker', 'request_limit')).toBe(1);
    // Nothing was taken from the hourly bucket by the refused request.
    expect(gate.check(USER, BULK, bulk(500).body).ok).toBe(true);
  });

  it('records each malformed return it passes on to the database, which refuses it', async () => {
    const { gate, audit, refused } = setUp();
    const docs = [receipt(), receipt({ extra: 'x' }), receipt({ _attachments: {} })];
    const decision = gate.check(USER, BULK, Buffer.from(JSON.stringify({ docs })));
    expect(decision.ok).toBe(true);
    expect(audit).toEqual([
      {
        action: 'returns.invalid',
        user: USER,
        decision: 'refused',
        reason: 'Unknown field extra in a read-receipt.',
        docId: docs[1]!._id,
      },
      {
        action: 'returns.invalid',
        user: USER,
        decision: 'refused',
        reason: 'Returns carry no attachments.',
        docId: docs[2]!._id,
      },
    ]);
    expect(await refused('broker', 'invalid')).toBe(2);
  });

  it('judges a PUT by the id in its path, not one in its body', () => {
    const { gate, audit } = setUp();
    gate.check(
      USER,
      { write: 'doc', dbPath: '/receipt-1' },
      Buffer.from(JSON.stringify(receipt())),
    );
    expect(audit).toEqual([
      expect.objectContaining({
        docId: 'receipt-1',
        reason: 'The id of a read-receipt must look like read-receipt:<lowercase UUID>.',
      }),
    ]);
  });
});
