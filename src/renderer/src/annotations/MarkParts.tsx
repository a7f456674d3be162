// Pieces every list of marks shows the same way (the briefing's panel, the PDF viewer's notes,
// the panel's marks on attachments): what the mark is, with its colour's swatch; the passage it
// quotes and its note, as text (never HTML); a problem and what was just done, for everyone and
// for screen readers.
import type { Annotation } from '../../../shared/annotations/fold.js';

export function MarkKind({
  label,
  colour,
}: {
  readonly label: string;
  readonly colour: string | null;
}) {
  return (
    <p className="annotations__kind">
      {colour ? (
        <span className={`annotations__swatch annotation-mark--${colour}`} aria-hidden="true" />
      ) : null}
      {label}
    </p>
  );
}

/** The quoted passage (if any) and the note (if any) of a mark. */
export function MarkText({ annotation }: { readonly annotation: Annotation }) {
  return (
    <>
      {annotation.target.quote ? (
        <blockquote className="annotations__quote">{annotation.target.quote.exact}</blockquote>
      ) : null}
      {annotation.note ? <p className="annotations__note">{annotation.note}</p> : null}
    </>
  );
}

export function PanelFeedback({
  problem,
  announcement,
}: {
  readonly problem: string | null;
  readonly announcement: string;
}) {
  return (
    <>
      {problem ? (
        <p className="annotations__problem" role="alert">
          {problem}
        </p>
      ) : null}
      {/* A live region without the status role: the reader's one status is the sync status. */}
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
    </>
  );
}
