// Reader list grouping benchmark (not part of the test suite): `npm run bench:day-groups`.
//
// The reader regroups the whole list by day on every change (day-groups.ts), so grouping must
// stay linear in the number of briefings. BENCH_SIZES briefings (default 10,000 and 100,000),
// one every 37 minutes going back in time, are sorted, grouped and turned into rows, BENCH_ROUNDS
// times each (default 5); the median time of each size is printed with the time per briefing,
// which should stay flat as the size grows (quadratic work would grow it tenfold).
import type { BriefingSummary } from '../../src/shared/ipc.js';
import {
  groupByDay,
  sortNewestFirst,
  toRows,
} from '../../src/renderer/src/briefings/day-groups.js';

const SIZES = (process.env['BENCH_SIZES'] ?? '10000,100000').split(',').map(Number);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const now = Date.parse('2025-11-22T03:00:00Z');
const sydney = { locale: 'en-AU', timeZone: 'Australia/Sydney' };

function briefings(count: number): BriefingSummary[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `b${i}`,
    title: `Briefing ${i}`,
    summary: '',
    classification: 'OFFICIAL',
    priority: 'routine',
    senderName: 'Priya Raman',
    approvedAt: new Date(now - i * 37 * 60_000).toISOString(),
    read: false,
    attachmentCount: 0,
    annotationCount: 0,
  }));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

for (const size of SIZES) {
  const list = briefings(size);
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const started = performance.now();
    const rows = toRows(groupByDay(sortNewestFirst(list), now, sydney));
    times.push(performance.now() - started);
    if (rows.filter((r) => r.kind === 'briefing').length !== size) {
      throw new Error(`grouping ${size} briefings lost some`);
    }
  }
  const ms = median(times);
  console.log(
    `${size} briefings: median ${ms.toFixed(1)} ms over ${ROUNDS} rounds (${((ms * 1000) / size).toFixed(2)} µs per briefing)`,
  );
}
