// The briefing list: newest first, a heading per day, one button per briefing.
//
// Windowed (see windowing.ts): only the rows in view, a few either side, and the keyboard's
// current row are in the DOM, so 10,000 briefings scroll and update without a re-render storm.
// Rows are memoised; a `briefings:changed` refresh re-renders only the rows on screen. The
// briefings are the pages held so far (use-briefing-list.ts): nearing the last, it asks for more.
//
// Heights: day headings are fixed; a briefing row is as tall as its content (two-line titles,
// summaries of any length up to two lines, or none), so it is placed at an estimate
// (row-height.ts) until rendered, then measured by one ResizeObserver. Corrections to rows above
// the viewport scroll by the same amount, so what is on screen does not jump.
//
// Rows (BriefingRow.tsx), day headings (DayRow.tsx) and the keyboard (use-list-keyboard.ts)
// live beside it; this file owns the windowing: heights, scrolling and which rows are rendered.
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type Ref,
} from 'react';
import type { BriefingSummary } from '../../../shared/ipc.js';
import { dayKey } from '../ui/time.js';
import { BriefingRow, type MeasureRow } from './BriefingRow.js';
import { DayRow, PinnedDayHeading } from './DayRow.js';
import { groupByDay, sortNewestFirst, toRows } from './day-groups.js';
import { estimateBriefingRowRem } from './row-height.js';
import { useListKeyboard, type BriefingListHandle, type OpenHow } from './use-list-keyboard.js';
import { anchorShift, prefixOffsets, rowAt, visibleRange } from './windowing.js';

export type { BriefingListHandle, OpenHow } from './use-list-keyboard.js';

/** A day heading's height in rem; the stylesheet lays it out to fit exactly this. */
const DAY_ROW_REM = 2.25;
const OVERSCAN_ROWS = 6;

type Props = {
  readonly briefings: readonly BriefingSummary[];
  readonly selectedId: string | null;
  readonly onOpen: (id: string, how: OpenHow) => void;
  /** The rows in view reach the last ones held: time to ask for the next page. */
  readonly onNearEnd?: () => void;
  readonly ref?: Ref<BriefingListHandle>;
};

function useRootFontSize(): number {
  const [size] = useState(
    () => parseFloat(getComputedStyle(document.documentElement).fontSize) || 16,
  );
  return size;
}

/** Today's day key, re-read every minute so "Today" and "Yesterday" roll over at midnight. */
function useTodayKey(): string {
  const [key, setKey] = useState(() => dayKey(Date.now()));
  useEffect(() => {
    const timer = setInterval(() => setKey(dayKey(Date.now())), 60_000);
    return () => clearInterval(timer);
  }, []);
  return key;
}

export function BriefingList({ briefings, selectedId, onOpen, onNearEnd, ref }: Props) {
  const todayKey = useTodayKey();
  const rows = useMemo(
    () => toRows(groupByDay(sortNewestFirst(briefings), Date.now())),
    // todayKey stands for the clock here: it changes once a day, not every tick.
    [briefings, todayKey],
  );
  const rem = useRootFontSize();
  const dayRowHeight = DAY_ROW_REM * rem;
  // Measured heights in px by briefing id; kept across refreshes (a row's content rarely
  // changes height, and a changed one is measured again when rendered).
  const measured = useRef(new Map<string, number>());
  const [measuredVersion, setMeasuredVersion] = useState(0);
  const offsets = useMemo(
    () =>
      prefixOffsets(
        rows.map((row) =>
          row.kind === 'day'
            ? dayRowHeight
            : (measured.current.get(row.briefing.id) ??
              estimateBriefingRowRem(row.briefing.title, row.briefing.summary) * rem),
        ),
      ),
    // measuredVersion stands for the contents of `measured`, which a ref cannot announce.
    [rows, dayRowHeight, rem, measuredVersion],
  );
  const rowIndexById = useMemo(() => {
    const map = new Map<string, number>();
    rows.forEach((row, index) => {
      if (row.kind === 'briefing') map.set(row.briefing.id, index);
    });
    return map;
  }, [rows]);
  const typicalRowHeight = estimateBriefingRowRem('', 'x') * rem;

  const viewportRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(800);
  const frame = useRef(0);

  // What the resize callback needs from the latest render (it outlives any one render).
  const layout = useRef({ offsets, rowIndexById });
  useLayoutEffect(() => {
    layout.current = { offsets, rowIndexById };
  }, [offsets, rowIndexById]);

  const observer = useRef<ResizeObserver | null>(null);
  useEffect(() => () => observer.current?.disconnect(), []);
  const measureRow = useCallback<MeasureRow>((element) => {
    if (!element) return undefined;
    observer.current ??= new ResizeObserver((entries) => {
      const { offsets: current, rowIndexById: indexOf } = layout.current;
      const changes: { index: number; delta: number }[] = [];
      for (const entry of entries) {
        const id = (entry.target as HTMLElement).dataset.rowId;
        const height = entry.borderBoxSize[0]?.blockSize;
        if (id === undefined || height === undefined || height === 0) continue;
        const index = indexOf.get(id);
        const before =
          index === undefined
            ? measured.current.get(id)
            : (current[index + 1] ?? 0) - (current[index] ?? 0);
        measured.current.set(id, height);
        if (index !== undefined && before !== undefined && Math.abs(height - before) >= 0.5) {
          changes.push({ index, delta: height - before });
        }
      }
      if (changes.length === 0) return;
      const viewport = viewportRef.current;
      if (viewport) {
        const shift = anchorShift(current, changes, viewport.scrollTop);
        if (shift !== 0) {
          viewport.scrollTop += shift;
          setScrollTop(viewport.scrollTop);
        }
      }
      setMeasuredVersion((version) => version + 1);
    });
    const watched = observer.current;
    watched.observe(element, { box: 'border-box' });
    return () => watched.unobserve(element);
  }, []);

  useLayoutEffect(() => {
    const viewport = viewportRef.current;
    if (!viewport) return;
    setViewportHeight(viewport.clientHeight);
    const observer = new ResizeObserver(() => setViewportHeight(viewport.clientHeight));
    observer.observe(viewport);
    return () => observer.disconnect();
  }, []);

  const onScroll = useCallback(() => {
    // One state update per animation frame, however many scroll events the wheel sends.
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      if (viewportRef.current) setScrollTop(viewportRef.current.scrollTop);
    });
  }, []);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const { cursorRow, onKeyDown, onItemClick, onItemFocus } = useListKeyboard({
    rows,
    offsets,
    rowIndexById,
    selectedId,
    viewportRef,
    dayRowHeight,
    typicalRowHeight,
    setScrollTop,
    onOpen,
    ref,
  });

  const { start, end } = visibleRange(offsets, scrollTop, viewportHeight, OVERSCAN_ROWS);
  // A screen ahead of the last row held, the next page is asked for: scrolling does not stop.
  const nearEnd = end >= rows.length - Math.max(OVERSCAN_ROWS, end - start);
  useEffect(() => {
    if (nearEnd) onNearEnd?.();
  }, [nearEnd, rows.length, onNearEnd]);
  const rendered: number[] = [];
  // The current row stays rendered even when scrolled away: it is the list's tab stop.
  if (cursorRow >= 0 && cursorRow < start) rendered.push(cursorRow);
  for (let i = start; i < end; i++) rendered.push(i);
  if (cursorRow >= end) rendered.push(cursorRow);

  return (
    <div className="briefing-list">
      <PinnedDayHeading
        rows={rows}
        topRow={rowAt(offsets, scrollTop)}
        scrollTop={scrollTop}
        viewportHeight={viewportHeight}
        height={dayRowHeight}
      />
      <div
        className="briefing-list__viewport"
        ref={viewportRef}
        onScroll={onScroll}
        onKeyDown={onKeyDown}
      >
        <div
          className="briefing-list__canvas"
          role="list"
          aria-label="Briefings, newest first"
          style={{ height: offsets[rows.length] ?? 0 }}
        >
          {rendered.map((rowIndex) => {
            const row = rows[rowIndex];
            if (!row) return null;
            const top = offsets[rowIndex] ?? 0;
            return row.kind === 'day' ? (
              <DayRow key={`day:${row.key}`} row={row} top={top} height={dayRowHeight} />
            ) : (
              <BriefingRow
                key={row.briefing.id}
                briefing={row.briefing}
                index={row.index}
                total={briefings.length}
                top={top}
                measure={measureRow}
                isCursor={rowIndex === cursorRow}
                isSelected={row.briefing.id === selectedId}
                onClick={onItemClick}
                onFocusItem={onItemFocus}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}
