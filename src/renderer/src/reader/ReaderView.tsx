// The reader pane: the open briefing between its classification banners, under a watermark.
import {
  useEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
  type ReactNode,
} from 'react';
import {
  ArrowLeft,
  CircleExclamationPoint,
  FileX,
  LoaderCircle,
  Mail,
  Printer,
  RefreshCw,
} from 'lucide-react';
import type { BriefingDetail } from '../../../shared/ipc.js';
import type { SearchHighlight } from '../../../shared/search.js';
import { AnnotationsPanel } from '../annotations/AnnotationsPanel.js';
import { useApi } from '../api/api-context.js';
import { useNow } from '../ui/use-now.js';
import { SearchLegend } from '../search/SearchLegend.js';
import { matchRanges, paintMatches } from '../search/text-highlight.js';
import { initials } from '../ui/initials.js';
import { Keycaps } from '../ui/Keycaps.js';
import { ClassificationBanner, MarkingBadge, PriorityTag } from '../ui/markings.js';
import { listKeyLabels } from '../ui/shortcuts.js';
import { formatAbsolute, formatDateTime, parseTime } from '../ui/time.js';
import { Watermark } from '../ui/Watermark.js';
import { useMarkingPolicy } from '../settings/use-config.js';
import { Attachments } from './Attachments.js';
import { LinkDialog, type LinkPrompt } from './LinkDialog.js';
import { useBodyText } from '../briefing-body/body-text.js';
import { INERT_LINK_CLASS, LINK_TARGET_ATTRIBUTE } from '../briefing-body/sanitize.js';
import { useMarkingPolicyOnScreen } from './use-marking-policy.js';
import { summaryAddsToBody } from './summary.js';
import { useBriefing } from './use-briefing.js';

type Props = {
  readonly id: string | null;
  readonly readerName: string;
  /** Focus the title once the briefing is shown (it was opened from the keyboard). */
  readonly focusOnShow: boolean;
  /** The search it was opened from: its matches are marked and the first scrolled to. */
  readonly highlight: SearchHighlight | null;
  readonly onShownAsRead: (id: string) => void;
  /** Escape: back to the list. */
  readonly onLeave: () => void;
  /** Closes the briefing: where one pane shows at a time, the list comes back. */
  readonly onBack: () => void;
};

export function ReaderView({
  id,
  readerName,
  focusOnShow,
  highlight,
  onShownAsRead,
  onLeave,
  onBack,
}: Props) {
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
          highlight={highlight}
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
  highlight,
  onShownAsRead,
}: {
  readonly briefing: BriefingDetail;
  readonly readerName: string;
  readonly focusOnShow: boolean;
  readonly highlight: SearchHighlight | null;
  readonly onShownAsRead: (id: string) => void;
}) {
  const api = useApi();
  const now = useNow(30_000);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const pageRef = useRef<HTMLDivElement>(null);
  const [matchCount, setMatchCount] = useState(0);
  const { html: bodyHtml, text: bodyText } = useBodyText(briefing.bodyHtml);
  const bodyRef = useRef<HTMLDivElement>(null);
  const showSummary = useMemo(
    () => summaryAddsToBody(briefing.summary, bodyText),
    [briefing.summary, bodyText],
  );
  // Another SOR may send a briefing with no text (the demo SOR refuses one): say so, rather
  // than show a title over nothing.
  const noText = bodyText.trim() === '' && !bodyHtml.includes('<img');
  const approvedMs = parseTime(briefing.approvedAt);
  const updatedMs = parseTime(briefing.updatedAt);
  const policy = useMarkingPolicy(briefing.classification);
  const documentRef = useRef<HTMLDivElement>(null);
  const { notice, dismiss } = useMarkingPolicyOnScreen(briefing.id, policy, documentRef);
  const [linkPrompt, setLinkPrompt] = useState<LinkPrompt | null>(null);

  const followLink = (target: EventTarget) => {
    const link = target instanceof Element ? target.closest(`a.${INERT_LINK_CLASS}`) : null;
    const address = link?.getAttribute(LINK_TARGET_ATTRIBUTE);
    if (!address) return false;
    void api.checkLink({ url: address }).then((result) => {
      if (!result.ok) setLinkPrompt({ kind: 'refused', address, reason: result.error.message });
      else if (result.value.allowed) setLinkPrompt({ kind: 'confirm', url: result.value.url });
      else setLinkPrompt({ kind: 'refused', address, reason: result.value.reason });
    });
    return true;
  };
  const openLink = (url: string) => {
    setLinkPrompt(null);
    void api.openLink({ url }).then((result) => {
      if (!result.ok)
        setLinkPrompt({ kind: 'refused', address: url, reason: result.error.message });
      else if (result.value.how === 'reader')
        window.open(result.value.url, '_blank', 'noopener,noreferrer');
    });
  };

  useEffect(() => {
    if (focusOnShow) headingRef.current?.focus();
    // Deliberately only on first show: a refresh in place must not steal focus.
  }, []);

  // The search's matches, marked where they stand; the first one in the text (else the first
  // anywhere) scrolled into the middle of the view. Again when the briefing is updated in place.
  useEffect(() => {
    const page = pageRef.current;
    if (!page || !highlight) {
      setMatchCount(0);
      return;
    }
    const ranges = matchRanges(page, highlight);
    paintMatches('briefing', ranges);
    setMatchCount(ranges.length);
    const body = page.querySelector('.briefing-body');
    const first = ranges.find((r) => body?.contains(r.startContainer)) ?? ranges[0];
    first?.startContainer.parentElement?.scrollIntoView({ block: 'center' });
    return () => paintMatches('briefing', []);
  }, [highlight, bodyHtml, briefing]);

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
    <div
      className="document"
      data-briefing-id={briefing.id}
      data-copy={policy.copy}
      data-print={policy.print}
      ref={documentRef}
    >
      <ClassificationBanner marking={briefing.classification} position="top" />
      {notice ? (
        <div className="inline-alert policy-notice" role="alert" data-testid="policy-notice">
          <span>
            {notice === 'copy-blocked'
              ? `Your organisation does not allow text to be copied from ${briefing.classification} briefings.`
              : `Your organisation does not allow ${briefing.classification} briefings to be printed.`}
          </span>
          <button type="button" className="button button--small" onClick={dismiss}>
            OK
          </button>
        </div>
      ) : null}
      <div className="document__frame">
        <article
          className="document__scroll"
          tabIndex={0}
          aria-labelledby="briefing-title"
          aria-describedby={matchCount > 0 ? 'briefing-matches' : undefined}
          data-search-matches={matchCount}
        >
          <div className="document__page" ref={pageRef}>
            <SearchLegend count={matchCount} />
            <header className="document__header">
              <div className="document__eyebrow">
                <MarkingBadge marking={briefing.classification} />
                <PriorityTag priority={briefing.priority} />
                {policy.print === 'watermarked' ? (
                  <button
                    type="button"
                    className="button button--small button--secondary document__print"
                    onClick={() => window.print()}
                  >
                    <Printer aria-hidden="true" size={14} />
                    Print
                  </button>
                ) : null}
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
                onClick={(event: MouseEvent<HTMLDivElement>) => {
                  if (followLink(event.target)) event.preventDefault();
                }}
                onKeyDown={(event) => {
                  if (event.key === 'Enter' && followLink(event.target)) event.preventDefault();
                }}
              />
            )}
            {noText ? null : (
              <AnnotationsPanel briefing={briefing} bodyRef={bodyRef} bodyText={bodyText} />
            )}
            <Attachments briefing={briefing} watermark={watermark} highlight={highlight} />
          </div>
        </article>
        <Watermark text={watermark} />
      </div>
      <ClassificationBanner marking={briefing.classification} position="bottom" />
      <LinkDialog prompt={linkPrompt} onOpen={openLink} onClose={() => setLinkPrompt(null)} />
    </div>
  );
}
