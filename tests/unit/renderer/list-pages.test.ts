import { describe, expect, it } from 'vitest';
import type { BriefingSummary } from '../../../src/shared/ipc.js';
import { appendPage, mergeChanged } from '../../../src/renderer/src/briefings/list-pages.js';
import { groupByDay } from '../../../src/renderer/src/briefings/day-groups.js';

/** Briefing n was approved n hours after midnight on 1 March 2025: higher n is newer. */
function briefing(n: number, overrides: Partial<BriefingSummary> = {}): BriefingSummary {
  return {
    id: `briefing:${String(n).padStart(3, '0')}`,
    title: `Briefing ${n}`,
    summary: '',
    classification: 'OFFICIAL',
    priority: 'routine',
    senderName: 'Priya Raman',
    approvedAt: new Date(Date.UTC(2025, 2, 1) + n * 3_600_000).toISOString(),
    read: false,
    attachmentCount: 0,
    annotationCount: 0,
    ...overrides,
  };
}
const ids = (list: readonly BriefingSummary[]) => list.map((b) => b.id);
/** The newest `count` of briefings 1..total, as the device would answer the first pages. */
const prefix = (total: number, count: number) =>
  Array.from({ length: count }, (_, i) => briefing(total - i));

describe('the pages the reader holds', () => {
  it('appends the next page without doubling a briefing already held', () => {
    const held = prefix(100, 50);
    const next = [briefing(51), ...prefix(50, 50)];
    expect(ids(appendPage(held, next))).toEqual(ids(prefix(100, 100)));
  });

  it('takes in a new briefing that falls inside what is held, in its place', () => {
    const held = prefix(100, 50); // 100 .. 51
    const inserted = briefing(75, { id: 'briefing:075b', title: 'New' });
    const merged = mergeChanged(held, false, [inserted.id], [inserted]);
    expect(merged).toHaveLength(51);
    expect(merged.findIndex((b) => b.id === 'briefing:075b')).toBe(26);
  });

  it('leaves a new briefing older than what is held to the page that brings it', () => {
    const held = prefix(100, 50);
    const older = briefing(10, { id: 'briefing:010b' });
    expect(ids(mergeChanged(held, false, [older.id], [older]))).toEqual(ids(held));
  });

  it('keeps a new older briefing when everything is held', () => {
    const held = prefix(20, 20);
    const older = briefing(0);
    expect(ids(mergeChanged(held, true, [older.id], [older]))).toEqual(ids(prefix(20, 21)));
  });

  it('replaces a changed briefing and drops one the device no longer holds', () => {
    const held = prefix(100, 50);
    const read = { ...briefing(90), read: true };
    const merged = mergeChanged(held, false, [read.id, briefing(60).id], [read]);
    expect(merged).toHaveLength(49);
    expect(merged.find((b) => b.id === read.id)?.read).toBe(true);
    expect(ids(merged)).not.toContain(briefing(60).id);
  });

  it('a briefing approved again later moves to the top, under its new day', () => {
    const held = prefix(48, 48);
    const moved = briefing(2, { approvedAt: new Date(Date.UTC(2025, 2, 4, 12)).toISOString() });
    const merged = mergeChanged(held, true, [moved.id], [moved]);
    expect(merged[0]?.id).toBe(moved.id);
    const groups = groupByDay(merged, Date.UTC(2025, 2, 10));
    expect(groups[0]?.briefings.map((b) => b.id)).toEqual([moved.id]);
    expect(groups.reduce((n, group) => n + group.briefings.length, 0)).toBe(48);
  });
});
