// The list's day headings: one row per calendar day in the windowed list, and the copy pinned
// at the top of the viewport while that day's briefings scroll by (hidden from screen readers:
// the row itself is the heading they hear).
import { memo } from 'react';
import type { ListRow } from './day-groups.js';

type DayListRow = Extract<ListRow, { kind: 'day' }>;

export const DayRow = memo(function DayRow({
  row,
  top,
  height,
}: {
  readonly row: DayListRow;
  readonly top: number;
  readonly height: number;
}) {
  return (
    <div role="listitem" className="list-row" style={{ transform: `translateY(${top}px)`, height }}>
      <h3 className="day-heading">
        {row.label}
        <span className="day-heading__count">
          <span className="visually-hidden">, </span>
          {row.count}
          <span className="visually-hidden">{row.count === 1 ? ' briefing' : ' briefings'}</span>
        </span>
      </h3>
    </div>
  );
});

/** The pinned day heading needs a viewport at least this many heading heights tall. */
const PIN_MIN_VIEWPORT_ROWS = 8;

/**
 * The heading of the day at the top of the viewport (the last day row at or above `topRow`);
 * none before scrolling, nor in a viewport so short (a window zoomed to 400%) that it would
 * cover the rows to click.
 */
export function PinnedDayHeading({
  rows,
  topRow,
  scrollTop,
  viewportHeight,
  height,
}: {
  readonly rows: readonly ListRow[];
  readonly topRow: number;
  readonly scrollTop: number;
  readonly viewportHeight: number;
  readonly height: number;
}) {
  if (scrollTop <= 0 || viewportHeight < PIN_MIN_VIEWPORT_ROWS * height) return null;
  let pinned: DayListRow | null = null;
  for (let i = topRow; i >= 0; i--) {
    const row = rows[i];
    if (row?.kind === 'day') {
      pinned = row;
      break;
    }
  }
  if (!pinned) return null;
  return (
    <div className="day-heading day-heading--pinned" aria-hidden="true" style={{ height }}>
      {pinned.label}
      <span className="day-heading__count">{pinned.count}</span>
    </div>
  );
}
