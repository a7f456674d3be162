import { describe, expect, it } from 'vitest';
import type { BriefingSummary } from '../../../src/shared/ipc.js';
import {
  groupByDay,
  sortNewestFirst,
  toRows,
} from '../../../src/renderer/src/briefings/day-groups.js';

function briefing(id: string, approvedAt: string): BriefingSummary {
  return {
    id,
    title: `Briefing ${id}`,
    summary: '',
    classification: 'OFFICIAL',
    priority: 'routine',
    senderName: 'Priya Raman',
    approvedAt,
    read: false,
    attachmentCount: 0,
    annotationCount: 0,
  };
}

const now = Date.parse('2025-11-22T03:00:00Z'); // 14:00 in Sydney
const sydney = { locale: 'en-AU', timeZone: 'Australia/Sydney' };

describe('briefing list grouping', () => {
  it('puts the newest approval first and undated briefings last', () => {
    const sorted = sortNewestFirst([
      briefing('a', '2025-11-20T01:00:00Z'),
      briefing('undated', 'not a date'),
      briefing('b', '2025-11-22T01:00:00Z'),
      briefing('c', '2025-11-21T01:00:00Z'),
    ]);
    expect(sorted.map((b) => b.id)).toEqual(['b', 'c', 'a', 'undated']);
  });

  it('orders briefings approved at the same instant by id, so the order never flickers', () => {
    const sorted = sortNewestFirst([
      briefing('z', '2025-11-22T01:00:00Z'),
      briefing('m', '2025-11-22T01:00:00Z'),
    ]);
    expect(sorted.map((b) => b.id)).toEqual(['m', 'z']);
  });

  it('groups by the local calendar day under Today, Yesterday and dates', () => {
    const sorted = sortNewestFirst([
      briefing('today-early', '2025-11-21T14:30:00Z'), // 01:30 on the 22nd in Sydney
      briefing('today', '2025-11-22T01:00:00Z'),
      briefing('yesterday', '2025-11-21T05:00:00Z'),
      briefing('older', '2025-11-17T05:00:00Z'),
      briefing('undated', ''),
    ]);
    const groups = groupByDay(sorted, now, sydney);
    expect(groups.map((g) => [g.label, g.briefings.map((b) => b.id)])).toEqual([
      ['Today', ['today', 'today-early']],
      ['Yesterday', ['yesterday']],
      ['Monday 17 November', ['older']],
      ['Undated', ['undated']],
    ]);
  });

  it('flattens groups into heading and briefing rows, numbering briefings only', () => {
    const sorted = sortNewestFirst([
      briefing('a', '2025-11-22T01:00:00Z'),
      briefing('b', '2025-11-22T00:00:00Z'),
      briefing('c', '2025-11-21T01:00:00Z'),
    ]);
    const rows = toRows(groupByDay(sorted, now, sydney));
    expect(
      rows.map((r) =>
        r.kind === 'day' ? `day:${r.label}:${r.count}` : `${r.briefing.id}#${r.index}`,
      ),
    ).toEqual(['day:Today:2', 'a#0', 'b#1', 'day:Yesterday:1', 'c#2']);
  });

  // How fast is a benchmark's question (tests/bench/day-groups.bench.ts), not a test's.
  it('keeps every one of 10,000 briefings, each once, in day order', () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      briefing(`b${i}`, new Date(now - i * 37 * 60_000).toISOString()),
    );
    const rows = toRows(groupByDay(sortNewestFirst(many), now, sydney));
    const ids = rows.flatMap((r) => (r.kind === 'briefing' ? [r.briefing.id] : []));
    expect(ids).toEqual(many.map((b) => b.id));
    const days = rows.filter((r) => r.kind === 'day');
    expect(days.reduce((sum, r) => sum + (r.kind === 'day' ? r.count : 0), 0)).toBe(10_000);
  });
});
