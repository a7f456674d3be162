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
// Keyboard (ui/shortcuts.ts): one tab stop (roving tabindex); ↓/J and ↑/K move, Home/End and
// PageUp/PageDown jump, Enter or Space opens. Focus is moved by this component, never left to
// scrolling.
import {
  memo,
  useCallback,
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
  type Ref,
} from 'react';
import { Paperclip } from 'lucide-react';
import type { BriefingSummary } from '../../../shared/ipc.js';
import { assertNever } from '../../../shared/result.js';
import { MarkingBadge, PriorityTag } from '../ui/markings.js';
import { listMoveFor } from '../ui/shortcuts.js';
import { dayKey, formatAbsolute, formatTimeOfDay, parseTime } from '../ui/time.js';
import { groupByDay, sortNewestFirst, toRows, type ListRow } from './day-groups.js';
import { estimateBriefingRowRem } from './row-height.js';

/** The pinned day heading needs a viewport at least this many heading heights tall. */
const PIN_MIN_VIEWPORT_ROWS = 8;
import {
  anchorShift,
  pageTarget,
  prefixOffsets,
  rowAt,
  scrollToReveal,
  visibleRange,
} from './windowing.js';

/** A day heading's height in rem; the stylesheet lays it out to fit exactly this. */
const DAY_ROW_REM = 2.25;
const OVERSCAN_ROWS = 6;

/** Starts measuring a rendered briefing row; returns the call that stops. */
type MeasureRow = (element: HTMLDivElement | null) => (() => void) | undefined;

export type OpenHow = 'keyboard' | 'pointer';

export type BriefingListHandle = {
  /** Puts focus back on the list's current row (after Escape in the reader, for instance). */
  readonly focus: () => void;
};

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

  // The keyboard's current row: the open briefing, else the last one moved to, else the first.
  const [cursorId, setCursorId] = useState<string | null>(null);
  useEffect(() => {
    if (selectedId !== null) setCursorId(selectedId);
  }, [selectedId]);
  const firstBriefingRow = rows.findIndex((row) => row.kind === 'briefing');
  const cursorRow =
    (cursorId !== null ? rowIndexById.get(cursorId) : undefined) ??
    (selectedId !== null ? rowIndexById.get(selectedId) : undefined) ??
    firstBriefingRow;

  const pendingFocus = useRef(false);
  const reveal = useCallback(
    (rowIndex: number) => {
      const viewport = viewportRef.current;
      if (!viewport) return;
      // Moving onto the first briefing of a day also brings that day's heading into view.
      const revealFrom = rows[rowIndex - 1]?.kind === 'day' ? rowIndex - 1 : rowIndex;
      const up = scrollToReveal(
        offsets,
        revealFrom,
        viewport.scrollTop,
        viewport.clientHeight,
        dayRowHeight,
      );
      const down = scrollToReveal(offsets, rowIndex, viewport.scrollTop, viewport.clientHeight);
      const target = (offsets[revealFrom] ?? 0) < viewport.scrollTop + dayRowHeight ? up : down;
      if (target !== null) {
        viewport.scrollTop = target;
        setScrollTop(target);
      }
    },
    [offsets, rows, dayRowHeight],
  );

  const moveTo = useCallback(
    (rowIndex: number) => {
      const row = rows[rowIndex];
      if (row?.kind !== 'briefing') return;
      setCursorId(row.briefing.id);
      reveal(rowIndex);
      pendingFocus.current = true;
    },
    [rows, reveal],
  );

  useLayoutEffect(() => {
    if (!pendingFocus.current) return;
    pendingFocus.current = false;
    viewportRef.current
      ?.querySelector<HTMLButtonElement>('button[tabindex="0"]')
      ?.focus({ preventScroll: true });
  });

  useImperativeHandle(
    ref,
    () => ({
      focus: () => {
        if (cursorRow < 0) return;
        reveal(cursorRow);
        pendingFocus.current = true;
        viewportRef.current
          ?.querySelector<HTMLButtonElement>('button[tabindex="0"]')
          ?.focus({ preventScroll: true });
      },
    }),
    [cursorRow, reveal],
  );

  const findBriefingRow = useCallback(
    (from: number, step: 1 | -1): number => {
      for (let i = from; i >= 0 && i < rows.length; i += step)
        if (rows[i]?.kind === 'briefing') return i;
      return -1;
    },
    [rows],
  );

  const onKeyDown = useCallback(
    (event: KeyboardEvent<HTMLDivElement>) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      const move = listMoveFor(event.key);
      if (move === null) return;
      const page = (direction: 1 | -1) =>
        pageTarget(
          offsets,
          Math.max(cursorRow, 0),
          viewportRef.current?.clientHeight ?? 0,
          typicalRowHeight,
          direction,
        );
      let target: number;
      switch (move) {
        case 'next':
          target = findBriefingRow(cursorRow + 1, 1);
          break;
        case 'previous':
          target = findBriefingRow(cursorRow - 1, -1);
          break;
        case 'first':
          target = findBriefingRow(0, 1);
          break;
        case 'last':
          target = findBriefingRow(rows.length - 1, -1);
          break;
        case 'page-down':
          target = findBriefingRow(page(1), 1);
          if (target < 0) target = findBriefingRow(rows.length - 1, -1);
          break;
        case 'page-up':
          target = findBriefingRow(page(-1), -1);
          if (target < 0) target = findBriefingRow(0, 1);
          break;
        default:
          return assertNever(move);
      }
      event.preventDefault();
      if (target >= 0) moveTo(target);
    },
    [cursorRow, findBriefingRow, moveTo, offsets, rows.length, typicalRowHeight],
  );

  const onItemClick = useCallback(
    (event: MouseEvent<HTMLButtonElement>) => {
      const id = event.currentTarget.dataset.briefingId;
      if (id === undefined) return;
      setCursorId(id);
      // detail is 0 when Enter or Space "clicked" the button.
      onOpen(id, event.detail === 0 ? 'keyboard' : 'pointer');
    },
    [onOpen],
  );
  const onItemFocus = useCallback((id: string) => setCursorId(id), []);

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

  // The heading of the day at the top of the viewport, pinned while its briefings scroll by;
  // not in a viewport so short (a window zoomed to 400%) that it would cover the rows to click.
  let pinned: Extract<ListRow, { kind: 'day' }> | null = null;
  for (let i = rowAt(offsets, scrollTop); i >= 0; i--) {
    const row = rows[i];
    if (row?.kind === 'day') {
      pinned = row;
      break;
    }
  }

  return (
    <div className="briefing-list">
      {pinned && scrollTop > 0 && viewportHeight >= PIN_MIN_VIEWPORT_ROWS * dayRowHeight ? (
        <div
          className="day-heading day-heading--pinned"
          aria-hidden="true"
          style={{ height: dayRowHeight }}
        >
          {pinned.label}
          <span className="day-heading__count">{pinned.count}</span>
        </div>
      ) : null}
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

const DayRow = memo(function DayRow({
  row,
  top,
  height,
}: {
  readonly row: Extract<ListRow, { kind: 'day' }>;
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

type BriefingRowProps = {
  readonly briefing: BriefingSummary;
  readonly index: number;
  readonly total: number;
  readonly top: number;
  readonly measure: MeasureRow;
  readonly isCursor: boolean;
  readonly isSelected: boolean;
  readonly onClick: (event: MouseEvent<HTMLButtonElement>) => void;
  readonly onFocusItem: (id: string) => void;
};

const BriefingRow = memo(function BriefingRow({
  briefing,
  index,
  total,
  top,
  measure,
  isCursor,
  isSelected,
  onClick,
  onFocusItem,
}: BriefingRowProps) {
  const approvedMs = parseTime(briefing.approvedAt);
  const titleId = `briefing-${index}-title`;
  const detailsId = `briefing-${index}-details`;
  const attachments =
    briefing.attachmentCount > 0
      ? `${briefing.attachmentCount} ${briefing.attachmentCount === 1 ? 'attachment' : 'attachments'}`
      : null;
  const details = [
    briefing.read ? null : 'Unread',
    briefing.priority === 'routine' ? null : briefing.priority === 'urgent' ? 'Urgent' : 'Priority',
    briefing.classification,
    `From ${briefing.senderName}`,
    approvedMs === null ? null : formatAbsolute(approvedMs),
    attachments,
  ].filter(Boolean);

  return (
    <div
      ref={measure}
      role="listitem"
      className="list-row"
      style={{ transform: `translateY(${top}px)` }}
      data-row-id={briefing.id}
      aria-setsize={total}
      aria-posinset={index + 1}
    >
      <button
        type="button"
        className="briefing-item"
        tabIndex={isCursor ? 0 : -1}
        data-briefing-id={briefing.id}
        data-unread={briefing.read ? 'false' : 'true'}
        data-priority={briefing.priority}
        data-classification={briefing.classification}
        aria-current={isSelected ? 'true' : undefined}
        aria-labelledby={titleId}
        aria-describedby={detailsId}
        onClick={onClick}
        onFocus={() => onFocusItem(briefing.id)}
      >
        <span className="briefing-item__unread-dot" aria-hidden="true" />
        <span className="briefing-item__top">
          <MarkingBadge marking={briefing.classification} />
          <PriorityTag priority={briefing.priority} />
          {approvedMs !== null ? (
            <time
              className="briefing-item__time"
              dateTime={briefing.approvedAt}
              title={formatAbsolute(approvedMs)}
            >
              {formatTimeOfDay(approvedMs)}
            </time>
          ) : null}
        </span>
        <span className="briefing-item__title" id={titleId}>
          {briefing.title}
        </span>
        {briefing.summary.trim() !== '' ? (
          <span className="briefing-item__summary">{briefing.summary}</span>
        ) : null}
        <span className="briefing-item__bottom">
          <span className="briefing-item__sender">{briefing.senderName}</span>
          {attachments ? (
            <span className="briefing-item__attachments" title={attachments}>
              <Paperclip aria-hidden="true" size={13} />
              {briefing.attachmentCount}
            </span>
          ) : null}
        </span>
        <span id={detailsId} hidden>
          {details.join('. ')}.
        </span>
      </button>
    </div>
  );
});
