// The reader's marks on the open briefing: highlight the selected text (named colours), with
// or without a note; a general note; every mark listed in document order with "Go to passage",
// edit and delete; undo of the last action. Notes are React text nodes: plain text, never HTML.
// Everything is reachable from the keyboard (select text with caret browsing or Shift+arrows,
// then Tab to the toolbar beside the selection or to the buttons here: the selection stays
// while focus moves to them). A detached mark is attached again to a passage the reader
// selects (Attach here), or deleted. The list entry is AnnotationItem.tsx, the note editor
// NoteComposer.tsx, the toolbar beside the selection SelectionToolbar.tsx.
import { useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { Highlighter, NotebookPen, Undo2 } from 'lucide-react';
import type { Annotation } from '../../../shared/annotations/fold.js';
import type { HighlightColour } from '../../../shared/annotations/limits.js';
import { ANNOTATION_LIMITS } from '../../../shared/annotations/limits.js';
import type { AnnotationChange } from '../../../shared/annotations/requests.js';
import type { BriefingDetail } from '../../../shared/ipc.js';
import { quoteAt } from './anchor.js';
import { AnnotationItem, describe } from './AnnotationItem.js';
import { AttachmentNotes } from './AttachmentNotes.js';
import { ColourPicker } from './ColourPicker.js';
import { NoteComposer, noteTooLong } from './NoteComposer.js';
import { PanelFeedback } from './MarkParts.js';
import { markElement, paintMarks, selectionOffsets } from './paint.js';
import { COLOUR_NAMES, placeAnnotations } from './placement.js';
import { ONLY_BODY_MESSAGE, SelectionToolbar, useTextSelection } from './SelectionToolbar.js';
import { useAnnotations } from './use-annotations.js';
import { VersionChanges } from './VersionChanges.js';

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

const selectFirstMessage = (then: string) =>
  `Select some text of the briefing first, then choose ${then}.`;
/** The messages a new selection in the body answers. */
const SELECTION_PROBLEMS = new Set([
  ONLY_BODY_MESSAGE,
  selectFirstMessage('Highlight'),
  selectFirstMessage('Highlight with note'),
]);

export function AnnotationsPanel({ briefing, bodyRef, bodyText }: Props) {
  const { annotations, save } = useAnnotations(briefing.id);
  const [colour, setColour] = useState<HighlightColour>('yellow');
  const [composer, setComposer] = useState<Composer>({ mode: 'closed' });
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [undo, setUndo] = useState<Undo | null>(null);
  /** The detached mark waiting for the reader to select its passage. */
  const [attaching, setAttaching] = useState<string | null>(null);
  /** The earlier version whose changes are shown (VersionChanges.tsx). */
  const [comparing, setComparing] = useState<number | null>(null);
  const { selection, container } = useTextSelection(bodyRef);
  /** A mark made from the toolbar with the keyboard: focus goes to it once painted. */
  const focusMark = useRef<string | null>(null);

  const placements = useMemo(
    () => placeAnnotations(bodyText, annotations ?? []),
    [bodyText, annotations],
  );

  useEffect(() => {
    const root = bodyRef.current;
    if (!root) return;
    // Painting replaces every mark element: a mark that has focus gets it back afterwards.
    const focused = document.activeElement;
    const hadFocus =
      focused instanceof HTMLElement && root.contains(focused)
        ? (focused.dataset['annotationId'] ?? null)
        : null;
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
    const pending = focusMark.current ?? hadFocus;
    focusMark.current = null;
    if (pending) markElement(root, pending)?.focus({ preventScroll: true });
  }, [bodyRef, placements]);

  // A message about what was selected is out of date once the reader selects text of the body.
  useEffect(() => {
    if (selection?.where !== 'body') return;
    setProblem((shown) => (shown !== null && SELECTION_PROBLEMS.has(shown) ? null : shown));
  }, [selection]);

  const currentSelection = () => {
    const root = bodyRef.current;
    return root ? selectionOffsets(root, window.getSelection()) : null;
  };
  /** Why nothing can be marked: no selection, or one outside the text marks anchor to. */
  const selectFirst = (then: string) =>
    setProblem(selection?.where === 'elsewhere' ? ONLY_BODY_MESSAGE : selectFirstMessage(then));
  /** Focus to a mark just made: now if it is painted already, else as soon as it is. */
  const focusWhenPainted = (id: string) => {
    const root = bodyRef.current;
    const mark = root ? markElement(root, id) : null;
    if (mark) mark.focus({ preventScroll: true });
    else focusMark.current = id;
  };
  const fromToolbar = () =>
    document.activeElement?.closest('[data-testid="selection-toolbar"]') !== null &&
    document.activeElement !== null;

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
    // Asked before the save: by the time it answers, the toolbar may be gone.
    const toolbar = selection !== null && fromToolbar();
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
      if (toolbar) focusWhenPainted(created.id);
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
      selectFirst('Highlight');
      return;
    }
    void create(selection, '');
  };

  const openNote = (withSelection: boolean) => {
    const selection = withSelection ? currentSelection() : null;
    if (withSelection && !selection) {
      selectFirst('Highlight with note');
      return;
    }
    setProblem(null);
    setDraft('');
    setComposer({ mode: 'new', selection });
  };

  const submit = async () => {
    const tooLong = noteTooLong(draft);
    if (tooLong) {
      setProblem(tooLong);
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

  /** Attaches a detached mark to the selected passage, or waits for the reader to select one. */
  const attach = async (annotationId: string) => {
    const selected = currentSelection();
    if (!selected) {
      if (selection?.where === 'elsewhere') setProblem(ONLY_BODY_MESSAGE);
      else {
        setProblem(null);
        setAnnouncement('Select the passage in the briefing, then choose Attach here beside it.');
      }
      setAttaching(annotationId);
      return;
    }
    const toolbar = fromToolbar();
    // Undo puts the mark back on the passage (and version) it stood on before.
    const before = annotations?.find((a) => a.id === annotationId)?.target;
    const attached = await run(
      {
        action: 'edit',
        annotationId,
        attach: {
          quote: quoteAt(bodyText, selected.start, selected.end, ANNOTATION_LIMITS.contextChars),
          position: selected,
        },
      },
      'Attached to the selected passage.',
      before?.quote
        ? {
            label: 'Undo attach',
            change: {
              action: 'edit',
              annotationId,
              attach: {
                quote: before.quote,
                position: before.position ?? { start: 0, end: 0 },
                sourceVersion: before.sourceVersion,
              },
            },
          }
        : null,
    );
    if (!attached) return;
    setAttaching(null);
    if (toolbar) focusWhenPainted(attached.id);
    window.getSelection()?.removeAllRanges();
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

  return (
    <>
      <SelectionToolbar
        selection={selection}
        container={container}
        colour={colour}
        attaching={attaching}
        onHighlight={highlight}
        onHighlightWithNote={() => openNote(true)}
        onAttach={() => {
          if (attaching !== null) void attach(attaching);
        }}
        onCancelAttach={() => setAttaching(null)}
      />
      <section
        className="annotations"
        aria-labelledby="annotations-title"
        data-testid="annotations"
      >
        <h2 id="annotations-title" className="annotations__title">
          Your notes and highlights
        </h2>
        <div className="annotations__tools" role="group" aria-label="Annotate this briefing">
          <ColourPicker name={`colour-${briefing.id}`} colour={colour} onColour={setColour} />
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
          <NoteComposer
            key={composer.mode === 'edit' ? composer.annotation.id : 'new'}
            briefingId={briefing.id}
            editing={composer.mode === 'edit'}
            draft={draft}
            onDraft={setDraft}
            onSubmit={() => void submit()}
            onCancel={() => {
              setProblem(null);
              setComposer({ mode: 'closed' });
            }}
          />
        ) : null}
        <PanelFeedback problem={problem} announcement={announcement} />
        {annotations !== null &&
        placements.length === 0 &&
        annotations.every((a) => a.target.attachment === null) ? (
          <p className="annotations__empty">
            Nothing marked yet. Select text in the briefing, then choose Highlight.
          </p>
        ) : null}
        <ol className="annotations__list">
          {placements.map((placement) => (
            <AnnotationItem
              key={placement.annotation.id}
              placement={placement}
              currentVersion={briefing.sourceVersion}
              attaching={attaching === placement.annotation.id}
              onGoTo={goTo}
              onAttach={(annotation) => void attach(annotation.id)}
              onEdit={(annotation) => {
                setDraft(annotation.note);
                setProblem(null);
                setComposer({ mode: 'edit', annotation });
              }}
              onDelete={(annotation) => void remove(annotation)}
              onCompare={setComparing}
            />
          ))}
        </ol>
        <AttachmentNotes annotations={annotations ?? []} />
        <VersionChanges
          briefingId={briefing.id}
          currentVersion={briefing.sourceVersion}
          version={comparing}
          currentHtml={briefing.bodyHtml}
          annotations={annotations ?? []}
          onClose={() => setComparing(null)}
        />
      </section>
    </>
  );
}
