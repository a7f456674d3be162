// One briefing in the list: a button (the list's roving tab stop when it is the current row)
// with its markings, title, summary, sender, attachments and whether the reader has marked it.
// What a screen reader hears beyond the title is one description (`details`), so the small
// signs (unread dot, paperclip, notes) are never the only way to know.
import { memo, type MouseEvent } from 'react';
import { NotebookPen, Paperclip } from 'lucide-react';
import type { BriefingSummary } from '../../../shared/ipc.js';
import { MarkingBadge, PriorityTag } from '../ui/markings.js';
import { formatAbsolute, formatTimeOfDay, parseTime } from '../ui/time.js';

/** Starts measuring a rendered briefing row; returns the call that stops. */
export type MeasureRow = (element: HTMLDivElement | null) => (() => void) | undefined;

/** The notes sign's accessible name (the count is in its tooltip and the row's description). */
export const HAS_NOTES_LABEL = 'Has your notes';

function countOf(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

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

export const BriefingRow = memo(function BriefingRow({
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
      ? countOf(briefing.attachmentCount, 'attachment', 'attachments')
      : null;
  const notes =
    briefing.annotationCount > 0
      ? `${HAS_NOTES_LABEL}: ${countOf(briefing.annotationCount, 'note or highlight', 'notes and highlights')}`
      : null;
  const details = [
    briefing.read ? null : 'Unread',
    briefing.priority === 'routine' ? null : briefing.priority === 'urgent' ? 'Urgent' : 'Priority',
    briefing.classification,
    `From ${briefing.senderName}`,
    approvedMs === null ? null : formatAbsolute(approvedMs),
    attachments,
    notes,
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
          <span className="briefing-item__signs">
            {notes ? (
              <span
                className="briefing-item__notes"
                role="img"
                aria-label={HAS_NOTES_LABEL}
                title={notes}
                data-testid="briefing-has-notes"
              >
                <NotebookPen aria-hidden="true" size={13} />
              </span>
            ) : null}
            {attachments ? (
              <span className="briefing-item__attachments" title={attachments}>
                <Paperclip aria-hidden="true" size={13} />
                {briefing.attachmentCount}
              </span>
            ) : null}
          </span>
        </span>
        <span id={detailsId} hidden>
          {details.join('. ')}.
        </span>
      </button>
    </div>
  );
});
