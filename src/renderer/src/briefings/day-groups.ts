// Turns the flat briefing list into what the list pane shows: newest first, under a heading
// per calendar day. Pure, so it runs once per list change rather than once per render.
import type { BriefingSummary } from '../../../shared/ipc.js';
import { dayKey, dayLabel, parseTime, type TimeOptions } from '../ui/time.js';

export type DayGroup = {
  readonly key: string;
  readonly label: string;
  readonly briefings: readonly BriefingSummary[];
};

/** One line of the windowed list: a day heading or a briefing. */
export type ListRow =
  | { readonly kind: 'day'; readonly key: string; readonly label: string; readonly count: number }
  | { readonly kind: 'briefing'; readonly briefing: BriefingSummary; readonly index: number };

const UNDATED_KEY = 'undated';

/** Newest approval first; briefings with an unreadable date last; ties broken by id. */
export function sortNewestFirst(briefings: readonly BriefingSummary[]): BriefingSummary[] {
  const times = new Map(briefings.map((b) => [b.id, parseTime(b.approvedAt)]));
  return [...briefings].sort((a, b) => {
    const ta = times.get(a.id) ?? null;
    const tb = times.get(b.id) ?? null;
    if (ta !== tb) {
      if (ta === null) return 1;
      if (tb === null) return -1;
      return tb - ta;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** Groups briefings (already sorted newest first) by the calendar day they were approved. */
export function groupByDay(
  sorted: readonly BriefingSummary[],
  nowMs: number,
  options: TimeOptions = {},
): DayGroup[] {
  const todayKey = dayKey(nowMs, options);
  const groups: { key: string; label: string; briefings: BriefingSummary[] }[] = [];
  for (const briefing of sorted) {
    const ms = parseTime(briefing.approvedAt);
    const key = ms === null ? UNDATED_KEY : dayKey(ms, options);
    let group = groups[groups.length - 1];
    if (!group || group.key !== key) {
      const label = key === UNDATED_KEY ? 'Undated' : dayLabel(key, todayKey, options);
      group = { key, label, briefings: [] };
      groups.push(group);
    }
    group.briefings.push(briefing);
  }
  return groups;
}

/** Flattens groups into rows; `index` is the briefing's position among briefings only. */
export function toRows(groups: readonly DayGroup[]): ListRow[] {
  const rows: ListRow[] = [];
  let index = 0;
  for (const group of groups) {
    rows.push({ kind: 'day', key: group.key, label: group.label, count: group.briefings.length });
    for (const briefing of group.briefings)
      rows.push({ kind: 'briefing', briefing, index: index++ });
  }
  return rows;
}
