// The list's keyboard and focus (ui/shortcuts.ts): one tab stop (roving tabindex) on the current
// row; ↓/J and ↑/K move, Home/End and PageUp/PageDown jump, Enter or Space opens. Focus is moved
// here, never left to scrolling: a move scrolls the row (and its day's heading, when it is the
// first of the day) into view, then focuses it once it is rendered.
import {
  useCallback,
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
  type Ref,
  type RefObject,
} from 'react';
import { assertNever } from '../../../shared/result.js';
import { listMoveFor } from '../ui/shortcuts.js';
import type { ListRow } from './day-groups.js';
import { pageTarget, scrollToReveal } from './windowing.js';

export type OpenHow = 'keyboard' | 'pointer';

export type BriefingListHandle = {
  /** Puts focus back on the list's current row (after Escape in the reader, for instance). */
  readonly focus: () => void;
};

type Options = {
  readonly rows: readonly ListRow[];
  readonly offsets: Float64Array;
  readonly rowIndexById: ReadonlyMap<string, number>;
  readonly selectedId: string | null;
  readonly viewportRef: RefObject<HTMLDivElement | null>;
  readonly dayRowHeight: number;
  /** A page key keeps about this much of the last row seen in view. */
  readonly typicalRowHeight: number;
  readonly setScrollTop: (scrollTop: number) => void;
  readonly onOpen: (id: string, how: OpenHow) => void;
  readonly ref: Ref<BriefingListHandle> | undefined;
};

export function useListKeyboard({
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
}: Options) {
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

  const focusCurrent = useCallback(
    () =>
      viewportRef.current
        ?.querySelector<HTMLButtonElement>('button[tabindex="0"]')
        ?.focus({ preventScroll: true }),
    [viewportRef],
  );

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
    [offsets, rows, dayRowHeight, viewportRef, setScrollTop],
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
    focusCurrent();
  });

  useImperativeHandle(
    ref,
    () => ({
      focus: () => {
        if (cursorRow < 0) return;
        reveal(cursorRow);
        pendingFocus.current = true;
        focusCurrent();
      },
    }),
    [cursorRow, reveal, focusCurrent],
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
    [cursorRow, findBriefingRow, moveTo, offsets, rows.length, typicalRowHeight, viewportRef],
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

  return { cursorRow, onKeyDown, onItemClick, onItemFocus };
}
