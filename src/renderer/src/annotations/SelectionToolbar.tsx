// The small toolbar beside the reader's selection: Highlight and Highlight with note for text
// of the body (or Attach here, while a detached mark waits for its passage); for text the marks
// cannot cover (title, summary, byline) it says so, where the reader is looking. It follows the
// selection (selectionchange), sits above it (below when there is no room), and is the next tab
// stop after the body: buttons keep the selection when pressed. Escape closes it until the
// selection changes, before the reader's own Escape (back to the list) applies.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import { Link2, NotebookPen, X } from 'lucide-react';
import type { HighlightColour } from '../../../shared/annotations/limits.js';
import { COLOUR_NAMES } from './placement.js';
import type { TextSelection, ToolbarPlacement } from './selection.js';
import { placeToolbar, readSelection } from './selection.js';

/** Said beside a selection the marks cannot cover, and by the panel's buttons for one. */
export const ONLY_BODY_MESSAGE =
  'Only the briefing’s text can be highlighted, not its title, summary or details: a mark is kept against the text, so that it can follow it into new versions.';

/** The reader's selection inside the briefing's page, followed as it changes. */
export function useTextSelection(bodyRef: RefObject<HTMLElement | null>): {
  readonly selection: TextSelection | null;
  readonly container: HTMLElement | null;
} {
  const [selection, setSelection] = useState<TextSelection | null>(null);
  const container = bodyRef.current?.parentElement ?? null;
  useEffect(() => {
    const update = () => {
      const body = bodyRef.current;
      const page = body?.parentElement;
      setSelection(body && page ? readSelection(body, page, window.getSelection()) : null);
    };
    document.addEventListener('selectionchange', update);
    return () => document.removeEventListener('selectionchange', update);
  }, [bodyRef]);
  return { selection, container };
}

type Props = {
  readonly selection: TextSelection | null;
  readonly container: HTMLElement | null;
  readonly colour: HighlightColour;
  /** A detached mark waits for its passage: the toolbar offers to attach it here. */
  readonly attaching: string | null;
  readonly onHighlight: () => void;
  readonly onHighlightWithNote: () => void;
  readonly onAttach: () => void;
  readonly onCancelAttach: () => void;
};

export function SelectionToolbar({
  selection,
  container,
  colour,
  attaching,
  onHighlight,
  onHighlightWithNote,
  onAttach,
  onCancelAttach,
}: Props) {
  const toolbarRef = useRef<HTMLDivElement>(null);
  const [placement, setPlacement] = useState<ToolbarPlacement | null>(null);
  const [dismissed, setDismissed] = useState<TextSelection | null>(null);
  const open = selection !== null && selection !== dismissed;

  useLayoutEffect(() => {
    const toolbar = toolbarRef.current;
    if (!open || !toolbar || !container) {
      setPlacement(null);
      return;
    }
    setPlacement(
      placeToolbar(
        selection.box,
        { width: toolbar.offsetWidth, height: toolbar.offsetHeight },
        container.clientWidth,
      ),
    );
  }, [open, selection, container, attaching]);

  const close = useCallback(() => {
    const toolbar = toolbarRef.current;
    // Focus goes back to the briefing rather than to nowhere when the toolbar goes.
    if (toolbar?.contains(document.activeElement)) {
      toolbar.closest<HTMLElement>('.document__scroll')?.focus({ preventScroll: true });
    }
    setDismissed(selection);
  }, [selection]);

  useEffect(() => {
    if (!open) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      event.preventDefault();
      close();
    };
    // Capture: before the reader's Escape, which sees the event as handled.
    window.addEventListener('keydown', onKeyDown, true);
    return () => window.removeEventListener('keydown', onKeyDown, true);
  }, [open, close]);

  if (!open) return null;
  const keep = (event: { preventDefault: () => void }) => event.preventDefault();
  return (
    <div
      ref={toolbarRef}
      className={`selection-toolbar selection-toolbar--${placement?.side ?? 'above'}`}
      role="group"
      aria-label="Mark the selected text"
      data-testid="selection-toolbar"
      style={{
        top: placement?.top ?? selection.box.top,
        left: placement?.left ?? selection.box.left,
        visibility: placement ? 'visible' : 'hidden',
      }}
    >
      {selection.where === 'elsewhere' ? (
        <p className="selection-toolbar__message">{ONLY_BODY_MESSAGE}</p>
      ) : attaching !== null ? (
        <>
          <button
            type="button"
            className="button button--small"
            onMouseDown={keep}
            onClick={onAttach}
          >
            <Link2 aria-hidden="true" size={14} />
            Attach here
          </button>
          <button
            type="button"
            className="button button--secondary button--small"
            onMouseDown={keep}
            onClick={onCancelAttach}
          >
            Cancel
          </button>
        </>
      ) : (
        <>
          <button
            type="button"
            className="button button--small"
            onMouseDown={keep}
            onClick={onHighlight}
          >
            <span className={`annotations__swatch annotation-mark--${colour}`} aria-hidden="true" />
            Highlight
            <span className="visually-hidden"> in {COLOUR_NAMES[colour]}</span>
          </button>
          <button
            type="button"
            className="button button--secondary button--small"
            onMouseDown={keep}
            onClick={onHighlightWithNote}
          >
            <NotebookPen aria-hidden="true" size={14} />
            With note
          </button>
        </>
      )}
      <button
        type="button"
        className="selection-toolbar__close"
        aria-label="Close"
        title="Close (Esc)"
        onMouseDown={keep}
        onClick={close}
      >
        <X aria-hidden="true" size={14} />
      </button>
    </div>
  );
}
