// The reader's notes and highlights on a PDF attachment, beside its pages in the viewer: text
// selected on a page's text layer is highlighted (with or without a note); a note goes to a page
// as a whole from the page's own button (pages without text too); each mark is listed in page
// order, with Go to page, Edit note and Delete, and the last action can be undone. They are
// annotations like the briefing's (the attachment's name and the page in their target), so they
// sync, reach the SOR and are found by search the same way. Notes are React text: never HTML.
import { FileText, Highlighter, NotebookPen, Trash2, Undo2 } from 'lucide-react';
import { useState } from 'react';
import type { Annotation } from '../../../shared/annotations/fold.js';
import type { AnnotationChange } from '../../../shared/annotations/requests.js';
import { ANNOTATION_LIMITS } from '../../../shared/annotations/limits.js';
import type { Result } from '../../../shared/result.js';
import { quoteAt } from './anchor.js';
import { NoteComposer, noteTooLong } from './NoteComposer.js';
import { MarkKind, MarkText, PanelFeedback } from './MarkParts.js';
import { COLOUR_NAMES } from './placement.js';

/** Text selected on one page's text layer: its offsets in that layer's text, and that text. */
export type PageSelection = {
  readonly page: number;
  readonly start: number;
  readonly end: number;
  readonly pageText: string;
};

/** What the notes list is doing: a new mark's note, an edit, or nothing. */
export type PdfComposer =
  | { readonly mode: 'closed' }
  | { readonly mode: 'new'; readonly page: number; readonly selection: PageSelection | null }
  | { readonly mode: 'edit'; readonly annotation: Annotation };

type Undo = { readonly label: string; readonly change: AnnotationChange };

type Props = {
  readonly briefingId: string;
  readonly attachment: string;
  /** This attachment's annotations, live ones only. */
  readonly annotations: readonly Annotation[];
  /** Marks whose passage is not on their page's text (shown as such). */
  readonly unplaced: ReadonlySet<string>;
  readonly selection: PageSelection | null;
  readonly composer: PdfComposer;
  readonly onComposer: (composer: PdfComposer) => void;
  readonly save: (change: AnnotationChange) => Promise<Result<Annotation>>;
  readonly onGoToPage: (page: number) => void;
};

const pageOf = (annotation: Annotation) => annotation.target.page ?? 1;

function describe(annotation: Annotation, unplaced: boolean): string {
  const page = `Page ${pageOf(annotation)}`;
  if (!annotation.target.quote) return `${page}, note`;
  const colour = annotation.colour ? `${COLOUR_NAMES[annotation.colour]} highlight` : 'Highlight';
  return `${page}, ${colour}${unplaced ? ', not found on the page' : ''}`;
}

export function PdfNotes(props: Props) {
  const { annotations, selection, composer, onComposer, save } = props;
  const [draft, setDraft] = useState('');
  const [announcement, setAnnouncement] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [undo, setUndo] = useState<Undo | null>(null);
  const ordered = [...annotations].sort(
    (a, b) =>
      pageOf(a) - pageOf(b) ||
      (a.target.position?.start ?? -1) - (b.target.position?.start ?? -1) ||
      a.createdAt.localeCompare(b.createdAt),
  );

  const run = async (change: AnnotationChange, done: string, revert: Undo | null) => {
    setProblem(null);
    const result = await save(change);
    if (!result.ok) {
      setProblem(result.error.message);
      return null;
    }
    setAnnouncement(done);
    setUndo(revert);
    return result.value;
  };

  const create = async (page: number, marked: PageSelection | null, note: string) => {
    const quote = marked
      ? quoteAt(marked.pageText, marked.start, marked.end, ANNOTATION_LIMITS.contextChars)
      : null;
    const created = await run(
      {
        action: 'create',
        briefingId: props.briefingId,
        attachment: props.attachment,
        page,
        ...(quote && marked
          ? { quote, position: { start: marked.start, end: marked.end }, colour: 'yellow' }
          : {}),
        ...(note === '' ? {} : { note }),
      },
      marked ? `Highlight saved on page ${page}.` : `Note saved on page ${page}.`,
      null,
    );
    if (created) {
      setUndo({
        label: marked ? 'Undo highlight' : 'Undo note',
        change: { action: 'delete', annotationId: created.id },
      });
      window.getSelection()?.removeAllRanges();
    }
    return created;
  };

  const openComposer = (next: PdfComposer) => {
    setProblem(null);
    setDraft(next.mode === 'edit' ? next.annotation.note : '');
    onComposer(next);
  };

  const submit = async () => {
    const tooLong = noteTooLong(draft);
    if (tooLong) {
      setProblem(tooLong);
      return;
    }
    let saved: Annotation | null = null;
    if (composer.mode === 'edit') {
      const before = composer.annotation;
      saved = await run({ action: 'edit', annotationId: before.id, note: draft }, 'Note saved.', {
        label: 'Undo edit',
        change: { action: 'edit', annotationId: before.id, note: before.note },
      });
    } else if (composer.mode === 'new') {
      saved = await create(composer.page, composer.selection, draft);
    }
    if (saved) onComposer({ mode: 'closed' });
  };

  return (
    <aside className="pdf-notes" aria-labelledby="pdf-notes-title">
      <h3 id="pdf-notes-title" className="pdf-notes__title">
        Your notes on this file
      </h3>
      <div className="pdf-notes__tools" role="group" aria-label="Mark the selected text">
        <button
          type="button"
          className="button button--small"
          disabled={!selection}
          onClick={() => selection && void create(selection.page, selection, '')}
        >
          <Highlighter aria-hidden="true" size={14} /> Highlight
        </button>
        <button
          type="button"
          className="button button--secondary button--small"
          disabled={!selection}
          onClick={() =>
            selection && openComposer({ mode: 'new', page: selection.page, selection })
          }
        >
          <NotebookPen aria-hidden="true" size={14} /> Highlight with note
        </button>
        <button
          type="button"
          className="button button--secondary button--small"
          disabled={undo === null}
          onClick={() => {
            const revert = undo;
            setUndo(null);
            if (revert) void run(revert.change, 'Undone.', null);
          }}
        >
          <Undo2 aria-hidden="true" size={14} /> {undo?.label ?? 'Undo'}
        </button>
      </div>
      <p className="pdf-notes__hint">
        {selection
          ? `Selected on page ${selection.page}.`
          : 'Select text on a page to highlight it, or use a page’s “Note on page” button.'}
      </p>
      {composer.mode !== 'closed' ? (
        <>
          <p className="pdf-notes__composing">
            {composer.mode === 'edit'
              ? `Editing the note on page ${pageOf(composer.annotation)}`
              : composer.selection
                ? `Note on the text selected on page ${composer.page}`
                : `Note on page ${composer.page}`}
          </p>
          <NoteComposer
            briefingId={`${props.briefingId}-pdf`}
            editing={composer.mode === 'edit'}
            draft={draft}
            onDraft={setDraft}
            onSubmit={() => void submit()}
            onCancel={() => onComposer({ mode: 'closed' })}
          />
        </>
      ) : null}
      <PanelFeedback problem={problem} announcement={announcement} />
      {ordered.length === 0 ? (
        <p className="pdf-notes__empty">
          <FileText aria-hidden="true" size={16} /> No notes on this file yet.
        </p>
      ) : (
        <ol className="pdf-notes__list">
          {ordered.map((annotation) => {
            const label = describe(annotation, props.unplaced.has(annotation.id));
            return (
              <li key={annotation.id} className="pdf-notes__item" data-testid="pdf-note">
                <MarkKind
                  label={label}
                  colour={annotation.target.quote ? annotation.colour : null}
                />
                <MarkText annotation={annotation} />
                <div className="annotations__actions">
                  <button
                    type="button"
                    className="button button--secondary button--small"
                    aria-label={`Go to page ${pageOf(annotation)}: ${label}`}
                    onClick={() => props.onGoToPage(pageOf(annotation))}
                  >
                    Go to page
                  </button>
                  <button
                    type="button"
                    className="button button--secondary button--small"
                    aria-label={`${annotation.note ? 'Edit note' : 'Add note'}: ${label}`}
                    onClick={() => openComposer({ mode: 'edit', annotation })}
                  >
                    {annotation.note ? 'Edit note' : 'Add note'}
                  </button>
                  <button
                    type="button"
                    className="button button--secondary button--small"
                    aria-label={`Delete: ${label}`}
                    onClick={() =>
                      void run({ action: 'delete', annotationId: annotation.id }, 'Deleted.', {
                        label: 'Undo delete',
                        change: { action: 'edit', annotationId: annotation.id },
                      })
                    }
                  >
                    <Trash2 aria-hidden="true" size={14} /> Delete
                  </button>
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </aside>
  );
}
