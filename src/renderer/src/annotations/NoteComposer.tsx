// The note editor of the annotations panel: a plain-text note (never HTML) with its character
// count, refused with both lengths when over the limit; Escape or Cancel closes it.
import { useEffect, useRef } from 'react';
import { ANNOTATION_LIMITS } from '../../../shared/annotations/limits.js';

/** Why a note cannot be saved as it is (too long), or null. */
export function noteTooLong(draft: string): string | null {
  return draft.length > ANNOTATION_LIMITS.noteChars
    ? `This note has ${draft.length} characters; a note may hold at most ${ANNOTATION_LIMITS.noteChars}. Shorten it: nothing was saved.`
    : null;
}

type Props = {
  readonly briefingId: string;
  readonly editing: boolean;
  readonly draft: string;
  readonly onDraft: (draft: string) => void;
  readonly onSubmit: () => void;
  readonly onCancel: () => void;
};

export function NoteComposer({ briefingId, editing, draft, onDraft, onSubmit, onCancel }: Props) {
  const noteRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => noteRef.current?.focus(), []);
  const over = draft.length > ANNOTATION_LIMITS.noteChars;
  return (
    <form
      className="annotations__composer"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <label htmlFor={`note-${briefingId}`}>{editing ? 'Edit note' : 'Note'}</label>
      <textarea
        id={`note-${briefingId}`}
        ref={noteRef}
        rows={4}
        value={draft}
        aria-describedby={`note-count-${briefingId}`}
        aria-invalid={over}
        onChange={(event) => onDraft(event.target.value)}
      />
      <p
        id={`note-count-${briefingId}`}
        className={over ? 'annotations__count annotations__count--over' : 'annotations__count'}
      >
        {draft.length} of {ANNOTATION_LIMITS.noteChars} characters
      </p>
      <div className="annotations__actions">
        <button type="submit" className="button button--small">
          Save note
        </button>
        <button type="button" className="button button--secondary button--small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
