// The reader's marks on the open briefing: highlight the selected text (named colours), with
// or without a note; a general note; every mark listed in document order with "Go to passage",
// edit and delete; undo of the last action. Notes are React text nodes: plain text, never HTML.
// Everything is reachable from the keyboard (select text with caret browsing or Shift+arrows,
// then Tab to the buttons: the selection stays while focus moves to them).
import { useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { Highlighter, NotebookPen, Trash2, Undo2 } from 'lucide-react';
import type { Annotation } from '../../../shared/annotations/fold.js';
import type { HighlightColour } from '../../../shared/annotations/limits.js';
import { ANNOTATION_LIMITS, HIGHLIGHT_COLOURS } from '../../../shared/annotations/limits.js';
import type { AnnotationChange } from '../../../shared/annotations/requests.js';
import type { BriefingDetail } from '../../../shared/ipc.js';
import { quoteAt } from './anchor.js';
import { markElement, paintMarks, selectionOffsets } from './paint.js';
import type { Placement } from './placement.js';
import { COLOUR_NAMES, placeAnnotations } from './placement.js';
import { useAnnotations } from './use-annotations.js';

type Props = {
  readonly briefing: BriefingDetail;
  /** The element holding the briefing's sanitised body (its text is what marks anchor to). */
  readonly bodyRef: RefObject<HTMLElement | null>;
  /** The body's text, as `bodyRef.current.textContent` (computed once per body). */
  readonly bodyText: string;
};

/** What undo does: the change that reverts the last one. */
type Undo = { readonly label: string; readonly change: AnnotationChange };

type Composer =
  | { readonly mode: 'closed' }
  | {
      readonly mode: 'new';
      readonly selection: { readonly start: number; readonly end: number } | null;
    }
  | { readonly mode: 'edit'; readonly annotation: Annotation };

function describe(placement: Placement): string {
  const { annotation } = placement;
  if (placement.kind === 'general') return 'General note';
  const colour = annotation.colour ? `${COLOUR_NAMES[annotation.colour]} highlight` : 'Highlight';
  return placement.kind === 'detached' ? `${colour}, detached` : colour;
}

export function AnnotationsPanel({ briefing, bodyRef, bodyText }: Props) {
  const { annotations, save } = useAnnotations(briefing.id);
  const [colour, setColour] = useState<HighlightColour>('yellow');
  const [composer, setComposer] = useState<Composer>({ mode: 'closed' });
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [undo, setUndo] = useState<Undo | null>(null);
  const noteRef = useRef<HTMLTextAreaElement>(null);

  const placements = useMemo(
    () => placeAnnotations(bodyText, annotations ?? []),
    [bodyText, annotations],
  );

  useEffect(() => {
    const root = bodyRef.current;
    if (!root) return;
    paintMarks(
      root,
      placements.flatMap((p) =>
        p.kind === 'anchored'
          ? [
              {
                id: p.annotation.id,
                start: p.start,
                end: p.end,
                colour: p.annotation.colour ?? 'yellow',
                title: `${describe(p)}${p.annotation.note ? ' with a note' : ''}`,
              },
            ]
          : [],
      ),
    );
  }, [bodyRef, placements]);

  useEffect(() => {
    if (composer.mode !== 'closed') noteRef.current?.focus();
  }, [composer]);

  const currentSelection = () => {
    const root = bodyRef.current;
    return root ? selectionOffsets(root, window.getSelection()) : null;
  };

  const run = async (change: AnnotationChange, done: string, revert: Undo | null) => {
    setProblem(null);
    const result = await save(change);
    if (!result.ok) {
      setProblem(result.error.message);
      return null;
    }
    setAnnouncement(done);
    if (revert) setUndo(revert);
    return result.value;
  };

  const create = async (selection: { start: number; end: number } | null, note: string) => {
    const quote = selection
      ? quoteAt(bodyText, selection.start, selection.end, ANNOTATION_LIMITS.contextChars)
      : null;
    const created = await run(
      {
        action: 'create',
        briefingId: briefing.id,
        ...(quote && selection ? { quote, position: selection, colour } : {}),
        ...(note === '' ? {} : { note }),
      },
      selection ? `${COLOUR_NAMES[colour]} highlight saved.` : 'Note saved.',
      null,
    );
    if (created) {
      setUndo({
        label: selection ? 'Undo highlight' : 'Undo note',
        change: { action: 'delete', annotationId: created.id },
      });
      window.getSelection()?.removeAllRanges();
    }
    return created;
  };

  const highlight = () => {
    const selection = currentSelection();
    if (!selection) {
      setProblem('Select some text of the briefing first, then choose Highlight.');
      return;
    }
    void create(selection, '');
  };

  const openNote = (withSelection: boolean) => {
    const selection = withSelection ? currentSelection() : null;
    if (withSelection && !selection) {
      setProblem('Select some text of the briefing first, then choose Highlight with note.');
      return;
    }
    setProblem(null);
    setDraft('');
    setComposer({ mode: 'new', selection });
  };

  const submit = async () => {
    if (draft.length > ANNOTATION_LIMITS.noteChars) {
      setProblem(
        `This note has ${draft.length} characters; a note may hold at most ${ANNOTATION_LIMITS.noteChars}. Shorten it: nothing was saved.`,
      );
      return;
    }
    let saved: Annotation | null;
    if (composer.mode === 'edit') {
      const before = composer.annotation;
      saved = await run({ action: 'edit', annotationId: before.id, note: draft }, 'Note saved.', {
        label: 'Undo edit',
        change: { action: 'edit', annotationId: before.id, note: before.note },
      });
    } else if (composer.mode === 'new') {
      saved = await create(composer.selection, draft);
    } else return;
    if (saved) setComposer({ mode: 'closed' });
  };

  const remove = async (annotation: Annotation) => {
    await run({ action: 'delete', annotationId: annotation.id }, 'Deleted.', {
      label: 'Undo delete',
      // An edit restores a deleted annotation with its last state.
      change: { action: 'edit', annotationId: annotation.id },
    });
  };

  const goTo = (annotation: Annotation) => {
    const root = bodyRef.current;
    const mark = root ? markElement(root, annotation.id) : null;
    mark?.scrollIntoView({ block: 'center' });
    mark?.focus();
  };

  const doUndo = async () => {
    if (!undo) return;
    const revert = undo;
    setUndo(null);
    await run(revert.change, 'Undone.', null);
  };

  const over = draft.length > ANNOTATION_LIMITS.noteChars;

  return (
    <section className="annotations" aria-labelledby="annotations-title" data-testid="annotations">
      <h2 id="annotations-title" className="annotations__title">
        Your notes and highlights
      </h2>
      <div className="annotations__tools" role="group" aria-label="Annotate this briefing">
        <fieldset className="annotations__colours">
          <legend>Highlight colour</legend>
          {HIGHLIGHT_COLOURS.map((name) => (
            <label key={name} className="annotations__colour">
              <input
                type="radio"
                name={`colour-${briefing.id}`}
                value={name}
                checked={colour === name}
                onChange={() => setColour(name)}
              />
              <span className={`annotations__swatch annotation-mark--${name}`} aria-hidden="true" />
              {COLOUR_NAMES[name]}
            </label>
          ))}
        </fieldset>
        <div className="annotations__actions">
          <button
            type="button"
            className="button button--small"
            // Keep the reader's text selection when the button is pressed with the mouse.
            onMouseDown={(event) => event.preventDefault()}
            onClick={highlight}
          >
            <Highlighter aria-hidden="true" size={14} />
            Highlight
          </button>
          <button
            type="button"
            className="button button--secondary button--small"
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => openNote(true)}
          >
            <NotebookPen aria-hidden="true" size={14} />
            Highlight with note
          </button>
          <button
            type="button"
            className="button button--secondary button--small"
            onClick={() => openNote(false)}
          >
            <NotebookPen aria-hidden="true" size={14} />
            General note
          </button>
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={undo === null}
            onClick={() => void doUndo()}
          >
            <Undo2 aria-hidden="true" size={14} />
            {undo?.label ?? 'Undo'}
          </button>
        </div>
      </div>
      {composer.mode !== 'closed' ? (
        <form
          className="annotations__composer"
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
          onKeyDown={(event) => {
            if (event.key === 'Escape') {
              event.preventDefault();
              setComposer({ mode: 'closed' });
            }
          }}
        >
          <label htmlFor={`note-${briefing.id}`}>
            {composer.mode === 'edit' ? 'Edit note' : 'Note'}
          </label>
          <textarea
            id={`note-${briefing.id}`}
            ref={noteRef}
            rows={4}
            value={draft}
            aria-describedby={`note-count-${briefing.id}`}
            aria-invalid={over}
            onChange={(event) => setDraft(event.target.value)}
          />
          <p
            id={`note-count-${briefing.id}`}
            className={over ? 'annotations__count annotations__count--over' : 'annotations__count'}
          >
            {draft.length} of {ANNOTATION_LIMITS.noteChars} characters
          </p>
          <div className="annotations__actions">
            <button type="submit" className="button button--small">
              Save note
            </button>
            <button
              type="button"
              className="button button--secondary button--small"
              onClick={() => {
                setProblem(null);
                setComposer({ mode: 'closed' });
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      ) : null}
      {problem ? (
        <p className="annotations__problem" role="alert">
          {problem}
        </p>
      ) : null}
      {/* A live region without the status role: the reader's one status is the sync status. */}
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {annotations !== null && placements.length === 0 ? (
        <p className="annotations__empty">
          Nothing marked yet. Select text in the briefing, then choose Highlight.
        </p>
      ) : null}
      <ol className="annotations__list">
        {placements.map((placement) => {
          const { annotation } = placement;
          return (
            <li
              key={annotation.id}
              className={`annotations__item annotations__item--${placement.kind}`}
              data-testid="annotation-item"
              data-kind={placement.kind}
            >
              <p className="annotations__kind">
                {annotation.colour && placement.kind !== 'general' ? (
                  <span
                    className={`annotations__swatch annotation-mark--${annotation.colour}`}
                    aria-hidden="true"
                  />
                ) : null}
                {describe(placement)}
              </p>
              {annotation.target.quote ? (
                <blockquote className="annotations__quote">
                  {annotation.target.quote.exact}
                </blockquote>
              ) : null}
              {placement.kind === 'detached' ? (
                <p className="annotations__detached">
                  This passage is not in version {briefing.sourceVersion}; the mark was made on
                  version {annotation.target.sourceVersion}.
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
                    onClick={() => goTo(annotation)}
                  >
                    Go to passage
                  </button>
                ) : null}
                <button
                  type="button"
                  className="button button--secondary button--small"
                  onClick={() => {
                    setDraft(annotation.note);
                    setProblem(null);
                    setComposer({ mode: 'edit', annotation });
                  }}
                >
                  {annotation.note ? 'Edit note' : 'Add note'}
                  <span className="visually-hidden">: {describe(placement)}</span>
                </button>
                <button
                  type="button"
                  className="button button--secondary button--small"
                  onClick={() => void remove(annotation)}
                >
                  <Trash2 aria-hidden="true" size={14} />
                  Delete
                  <span className="visually-hidden">: {describe(placement)}</span>
                </button>
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
