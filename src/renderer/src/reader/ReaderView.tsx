// The reader pane: the open briefing between its classification banners, under a watermark.
import { useEffect, useMemo, useRef, type KeyboardEvent, type ReactNode } from 'react';
import {
  ArrowLeft,
  CircleExclamationPoint,
  FileX,
  LoaderCircle,
  Mail,
  RefreshCw,
} from 'lucide-react';
import type { BriefingDetail } from '../../../shared/ipc.js';
import { AnnotationsPanel } from '../annotations/AnnotationsPanel.js';
import { useApi } from '../app/api-context.js';
import { useNow } from '../app/use-now.js';
import { initials } from '../ui/initials.js';
import { Keycaps } from '../ui/Keycaps.js';
import { ClassificationBanner, MarkingBadge, PriorityTag } from '../ui/markings.js';
import { listKeyLabels } from '../ui/shortcuts.js';
import { formatAbsolute, formatDateTime, parseTime } from '../ui/time.js';
import { Watermark } from '../ui/Watermark.js';
import { Attachments } from './Attachments.js';
import { createBriefingSanitizer, type BriefingSanitizer } from './sanitize.js';
import { summaryAddsToBody } from './summary.js';
import { useBriefing } from './use-briefing.js';

let sanitizer: BriefingSanitizer | null = null;
function sanitize(html: string): string {
  sanitizer ??= createBriefingSanitizer(window);
  return sanitizer(html);
}

/** The text of sanitised HTML; a template's content is inert (nothing loads, nothing runs). */
function textOf(html: string): string {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content.textContent;
}

type Props = {
  readonly id: string | null;
  readonly readerName: string;
  /** Focus the title once the briefing is shown (it was opened from the keyboard). */
  readonly focusOnShow: boolean;
  readonly onShownAsRead: (id: string) => void;
  /** Escape: back to the list. */
  readonly onLeave: () => void;
  /** Closes the briefing: where one pane shows at a time, the list comes back. */
  readonly onBack: () => void;
};

export function ReaderView({ id, readerName, focusOnShow, onShownAsRead, onLeave, onBack }: Props) {
  const { state, reload } = useBriefing(id);

  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (event.key === 'Escape' && !event.defaultPrevented) {
      event.preventDefault();
      onLeave();
    }
  };

  return (
    <main
      id="briefing"
      className="reader"
      aria-label="Briefing"
      aria-busy={state.phase === 'loading'}
      data-state={state.phase}
      tabIndex={-1}
      onKeyDown={onKeyDown}
    >
      {id !== null ? (
        <button
          type="button"
          className="button button--secondary button--small reader__back"
          onClick={onBack}
        >
          <ArrowLeft aria-hidden="true" size={14} />
          Briefings
        </button>
      ) : null}
      {state.phase === 'none' ? (
        <ReaderMessage
          icon={<Mail aria-hidden="true" size={40} strokeWidth={1.25} />}
          title="Select a briefing to read it"
        >
          <p>
            In the list, <Keycaps caps={listKeyLabels('next')} joiner="or" /> moves to the next
            briefing, <Keycaps caps={listKeyLabels('previous')} joiner="or" /> to the previous, and{' '}
            <kbd>Enter</kbd> opens it.
          </p>
        </ReaderMessage>
      ) : state.phase === 'loading' ? (
        <ReaderMessage
          icon={<LoaderCircle aria-hidden="true" className="spin" size={28} />}
          title="Opening briefing…"
        />
      ) : state.phase === 'gone' ? (
        <ReaderMessage
          icon={<FileX aria-hidden="true" size={40} strokeWidth={1.25} />}
          title="This briefing is no longer available"
        >
          <p>It was withdrawn from this device, usually because it is no longer shared with you.</p>
        </ReaderMessage>
      ) : state.phase === 'error' ? (
        <ReaderMessage
          icon={<CircleExclamationPoint aria-hidden="true" size={40} strokeWidth={1.25} />}
          title="This briefing could not be opened"
        >
          <p>{state.error.message}</p>
          <button type="button" className="button" onClick={reload}>
            <RefreshCw aria-hidden="true" size={16} />
            Try again
          </button>
        </ReaderMessage>
      ) : (
        <BriefingDocument
          key={state.briefing.id}
          briefing={state.briefing}
          readerName={readerName}
          focusOnShow={focusOnShow}
          onShownAsRead={onShownAsRead}
        />
      )}
    </main>
  );
}

function ReaderMessage({
  icon,
  title,
  children,
}: {
  readonly icon: ReactNode;
  readonly title: string;
  readonly children?: ReactNode;
}) {
  return (
    <div className="reader-message" role="status">
      <div className="reader-message__icon">{icon}</div>
      <h1 className="reader-message__title">{title}</h1>
      {children}
    </div>
  );
}

function BriefingDocument({
  briefing,
  readerName,
  focusOnShow,
  onShownAsRead,
}: {
  readonly briefing: BriefingDetail;
  readonly readerName: string;
  readonly focusOnShow: boolean;
  readonly onShownAsRead: (id: string) => void;
}) {
  const api = useApi();
  const now = useNow(30_000);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const bodyRef = useRef<HTMLDivElement>(null);
  const bodyHtml = useMemo(() => sanitize(briefing.bodyHtml), [briefing.bodyHtml]);
  const bodyText = useMemo(() => textOf(bodyHtml), [bodyHtml]);
  const showSummary = useMemo(
    () => summaryAddsToBody(briefing.summary, bodyText),
    [briefing.summary, bodyText],
  );
  // Another SOR may send a briefing with no text (the demo SOR refuses one): say so, rather
  // than show a title over nothing.
  const noText = bodyText.trim() === '' && !bodyHtml.includes('<img');
  const approvedMs = parseTime(briefing.approvedAt);
  const updatedMs = parseTime(briefing.updatedAt);

  useEffect(() => {
    if (focusOnShow) headingRef.current?.focus();
    // Deliberately only on first show: a refresh in place must not steal focus.
  }, []);

  // Marked read only once it is on screen; one attempt per briefing shown.
  const markedRead = useRef(false);
  useEffect(() => {
    if (briefing.read || markedRead.current) return;
    markedRead.current = true;
    const { id } = briefing;
    void api.markRead({ id }).then((result) => {
      if (result.ok) onShownAsRead(id);
    });
  }, [api, briefing, onShownAsRead]);

  const watermark = `${readerName} · ${formatDateTime(now)}`;

  return (
    <div className="document" data-briefing-id={briefing.id}>
      <ClassificationBanner marking={briefing.classification} position="top" />
      <div className="document__frame">
        <article className="document__scroll" tabIndex={0} aria-labelledby="briefing-title">
          <div className="document__page">
            <header className="document__header">
              <div className="document__eyebrow">
                <MarkingBadge marking={briefing.classification} />
                <PriorityTag priority={briefing.priority} />
              </div>
              <h1 id="briefing-title" className="document__title" ref={headingRef} tabIndex={-1}>
                {briefing.title}
              </h1>
              {showSummary ? <p className="document__summary">{briefing.summary}</p> : null}
              <div className="document__byline">
                <span className="avatar" aria-hidden="true">
                  {initials(briefing.senderName)}
                </span>
                <span className="document__sender">
                  <span className="document__sender-name">{briefing.senderName}</span>
                  {briefing.senderRole ? (
                    <span className="document__sender-role">{briefing.senderRole}</span>
                  ) : null}
                </span>
                <dl className="document__facts">
                  {approvedMs !== null ? (
                    <div>
                      <dt>Approved</dt>
                      <dd>
                        <time dateTime={briefing.approvedAt} title={formatAbsolute(approvedMs)}>
                          {formatDateTime(approvedMs)}
                        </time>
                      </dd>
                    </div>
                  ) : null}
                  {updatedMs !== null && approvedMs !== null && updatedMs - approvedMs > 60_000 ? (
                    <div>
                      <dt>Updated</dt>
                      <dd>
                        <time dateTime={briefing.updatedAt} title={formatAbsolute(updatedMs)}>
                          {formatDateTime(updatedMs)}
                        </time>
                      </dd>
                    </div>
                  ) : null}
                  {briefing.sourceVersion > 1 ? (
                    <div>
                      <dt>Version</dt>
                      <dd>{briefing.sourceVersion}</dd>
                    </div>
                  ) : null}
                </dl>
              </div>
            </header>
            {noText ? (
              <p className="document__no-text" data-testid="briefing-no-text">
                This briefing has no text of its own
                {briefing.attachments.length > 0 ? ': see its attachments below.' : '.'}
              </p>
            ) : (
              <div
                ref={bodyRef}
                className="briefing-body"
                data-testid="briefing-body"
                dangerouslySetInnerHTML={{ __html: bodyHtml }}
              />
            )}
            {noText ? null : (
              <AnnotationsPanel briefing={briefing} bodyRef={bodyRef} bodyText={bodyText} />
            )}
            <Attachments briefing={briefing} watermark={watermark} />
          </div>
        </article>
        <Watermark text={watermark} />
      </div>
      <ClassificationBanner marking={briefing.classification} position="bottom" />
    </div>
  );
}
