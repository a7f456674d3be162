// One entry of the annotations panel: what it is (colour, general, detached), the quote, whether
// its passage changed or is gone from this version, the note and any text written at the same
// time on another device; Go to passage, Attach here (a detached mark), edit and delete.
import { GitCompareArrows, Link2, Trash2 } from 'lucide-react';
import type { Annotation } from '../../../shared/annotations/fold.js';
import { MarkKind } from './MarkParts.js';
import type { Placement } from './placement.js';
import { COLOUR_NAMES } from './placement.js';

export function describe(placement: Placement): string {
  const { annotation } = placement;
  if (placement.kind === 'general') return 'General note';
  const colour = annotation.colour ? `${COLOUR_NAMES[annotation.colour]} highlight` : 'Highlight';
  return placement.kind === 'detached' ? `${colour}, detached` : colour;
}

type Props = {
  readonly placement: Placement;
  readonly currentVersion: number;
  /** This detached mark waits for the reader to select its new passage. */
  readonly attaching: boolean;
  readonly onGoTo: (annotation: Annotation) => void;
  readonly onAttach: (annotation: Annotation) => void;
  readonly onEdit: (annotation: Annotation) => void;
  readonly onDelete: (annotation: Annotation) => void;
  /** Shows what changed between the version the mark was made on and the current one. */
  readonly onCompare: (version: number) => void;
};

export function AnnotationItem({
  placement,
  currentVersion,
  attaching,
  onGoTo,
  onAttach,
  onEdit,
  onDelete,
  onCompare,
}: Props) {
  const { annotation } = placement;
  const label = describe(placement);
  const madeOn = annotation.target.sourceVersion;
  // Its passage moved, changed or went since the version it was made on.
  const comparable =
    madeOn < currentVersion &&
    (placement.kind === 'detached' || (placement.kind === 'anchored' && placement.changed));
  return (
    <li
      className={`annotations__item annotations__item--${placement.kind}`}
      data-testid="annotation-item"
      data-kind={placement.kind}
    >
      <MarkKind label={label} colour={placement.kind !== 'general' ? annotation.colour : null} />
      {annotation.target.quote ? (
        <blockquote className="annotations__quote">{annotation.target.quote.exact}</blockquote>
      ) : null}
      {placement.kind === 'detached' ? (
        <p className="annotations__detached">
          This passage is not in version {currentVersion}; the mark was made on version{' '}
          {annotation.target.sourceVersion}.
          {attaching
            ? ' Select the passage it belongs to in the briefing, then choose Attach here beside it.'
            : null}
        </p>
      ) : placement.kind === 'anchored' && placement.changed ? (
        <p className="annotations__detached">
          The passage changed since version {annotation.target.sourceVersion}.
        </p>
      ) : null}
      {annotation.note ? <p className="annotations__note">{annotation.note}</p> : null}
      {annotation.concurrentEdits.map((edit) => (
        <p key={edit.eventId} className="annotations__concurrent">
          Also written at the same time on another device: {edit.note}
        </p>
      ))}
      <div className="annotations__actions">
        {placement.kind === 'anchored' ? (
          <button
            type="button"
            className="button button--secondary button--small"
            onClick={() => onGoTo(annotation)}
          >
            Go to passage
          </button>
        ) : null}
        {placement.kind === 'detached' ? (
          <button
            type="button"
            className="button button--secondary button--small"
            aria-pressed={attaching}
            // Keep the reader's text selection when the button is pressed with the mouse.
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => onAttach(annotation)}
          >
            <Link2 aria-hidden="true" size={14} />
            Attach here
            <span className="visually-hidden">: {label}</span>
          </button>
        ) : null}
        {comparable ? (
          <button
            type="button"
            className="button button--secondary button--small"
            onClick={() => onCompare(madeOn)}
          >
            <GitCompareArrows aria-hidden="true" size={14} />
            What changed since version {madeOn}
            <span className="visually-hidden">: {label}</span>
          </button>
        ) : null}
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={() => onEdit(annotation)}
        >
          {annotation.note ? 'Edit note' : 'Add note'}
          <span className="visually-hidden">: {label}</span>
        </button>
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={() => onDelete(annotation)}
        >
          <Trash2 aria-hidden="true" size={14} />
          Delete
          <span className="visually-hidden">: {label}</span>
        </button>
      </div>
    </li>
  );
}
