// Repeated refusals of one kind cost the audit trail a bounded number of records: the first few
// each, then one with the count when the window ends. Every refusal is in exactly one record,
// and the trail stays a valid chain.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditTrail } from '../../../server/src/audit/audit-trail.js';
import type { AuditTrail } from '../../../server/src/audit/audit-trail.js';
import { verifyAuditFile } from '../../../server/src/audit/verify.js';
import { eventually } from '../../support/eventually.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import {
  REFUSALS_RECORDED_EACH,
  createRefusalAggregator,
} from '../../../server/src/audit/refusal-aggregator.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

let dir: string;
let trail: AuditTrail;
let clock: number;

type Line = Record<string, unknown> & { action: string; reason: string };
const records = (): Line[] =>
  fs
    .readFileSync(trail.file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);
/** How many refusals the records account for: one each, or the count of a summary. */
const accountedFor = (lines: Line[]) =>
  lines.reduce((sum, r) => sum + (typeof r['count'] === 'number' ? r['count'] : 1), 0);

const refusal = (i: number, reason = 'malformed token') => ({
  action: 'broker.request',
  user: null,
  decision: 'refused' as const,
  reason,
  status: 401,
  path: `/db/briefings/probe-${i}`,
  client: '203.0.113.7',
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-refusals-'));
  trail = createAuditTrail({ file: path.join(dir, 'audit.jsonl'), instance: 'test-1' });
  clock = Date.parse('2026-03-01T09:00:00Z');
});
afterEach(async () => {
  await trail.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('refusal aggregator', () => {
  it('turns 300 identical refusals in a burst into five records and one with a count of 295', async () => {
    const refusals = createRefusalAggregator({ audit: trail, windowMs: 60_000, now: () => clock });
    for (let i = 0; i < 300; i += 1) {
      refusals.record('203.0.113.7 401 malformed token', refusal(i));
      clock += 1;
    }
    expect(records()).toHaveLength(REFUSALS_RECORDED_EACH);
    expect(records().map((r) => r['path'])).toEqual(
      Array.from({ length: 5 }, (_, i) => `/db/briefings/probe-${i}`),
    );

    clock += 60_000;
    refusals.record('203.0.113.7 401 malformed token', refusal(300));
    const all = records();
    expect(all).toHaveLength(REFUSALS_RECORDED_EACH + 2);
    const summary = all[REFUSALS_RECORDED_EACH];
    expect(summary).toMatchObject({
      action: 'broker.request',
      decision: 'refused',
      reason: 'malformed token',
      aggregated: true,
      count: 295,
      path: '/db/briefings/probe-5',
      firstAt: '2026-03-01T09:00:00.000Z',
      lastAt: '2026-03-01T09:00:00.299Z',
    });
    // A new window starts with a record of its own.
    expect(all[REFUSALS_RECORDED_EACH + 1]).toMatchObject({ path: '/db/briefings/probe-300' });
    expect(accountedFor(all)).toBe(301);
    refusals.close();
    expect((await verifyAuditFile(trail.file)).problems).toEqual([]);
  });

  it('keeps kinds apart: each has its own first records and its own count', () => {
    const refusals = createRefusalAggregator({ audit: trail, windowMs: 60_000, now: () => clock });
    for (let i = 0; i < 20; i += 1) {
      refusals.record('a', refusal(i, 'malformed token'));
      refusals.record('b', refusal(i, 'no bearer token'));
    }
    refusals.flush();
    const all = records();
    expect(all).toHaveLength(2 * (REFUSALS_RECORDED_EACH + 1));
    expect(all.filter((r) => r['count'] === 15).map((r) => r.reason)).toEqual([
      'malformed token',
      'no bearer token',
    ]);
    expect(accountedFor(all)).toBe(40);
  });

  it('writes the count when the window ends, with no refusal after it', async () => {
    const refusals = createRefusalAggregator({ audit: trail, windowMs: 200 });
    for (let i = 0; i < 12; i += 1) refusals.record('k', refusal(i));
    expect(records()).toHaveLength(REFUSALS_RECORDED_EACH);
    await eventually(() => expect(records().some((r) => r['count'] === 7)).toBe(true), {
      what: 'the summary record',
    });
    refusals.close();
    expect(accountedFor(records())).toBe(12);
  });

  it('bounds the kinds it tracks: past the cap, new kinds share one overflow count', () => {
    const refusals = createRefusalAggregator({
      audit: trail,
      windowMs: 60_000,
      maxKinds: 10,
      now: () => clock,
    });
    for (let i = 0; i < 1_000; i += 1) refusals.record(`address-${i}`, refusal(i));
    refusals.close();
    const all = records();
    expect(all).toHaveLength(11);
    expect(all[10]).toMatchObject({ reason: 'refusals of many other kinds', count: 990 });
    expect(accountedFor(all)).toBe(1_000);
  });

  it('writes the counts of open windows when it closes, before the trail does', () => {
    const refusals = createRefusalAggregator({ audit: trail, windowMs: 60_000, now: () => clock });
    for (let i = 0; i < 8; i += 1) refusals.record('k', refusal(i));
    refusals.close();
    expect(records().at(-1)).toMatchObject({ count: 3, aggregated: true });
  });
});
