// "What changed since version N": the text of the version the reader marked (kept on the device,
// the server serves only the current one) against the version shown now, word by word, with
// the reader's marks of that version shown on its text (version-diff.ts). Everything is text
// nodes: the earlier version is sanitised and reduced to text as the open briefing is.
import { useEffect, useMemo, useRef, useState } from 'react';
import { GitCompareArrows } from 'lucide-react';
import type { Annotation } from '../../../shared/annotations/fold.js';
import type { AnnotatedVersion } from '../../../shared/annotations/requests.js';
import { useApi } from '../api/api-context.js';
import { useBodyText } from '../briefing-body/body-text.js';
import type { DiffPiece } from './version-diff.js';
import { diffVersions } from './version-diff.js';

type Props = {
  readonly briefingId: string;
  readonly currentVersion: number;
  /** The earlier version to compare with; null: the dialog is closed. */
  readonly version: number | null;
  /** The body of the version shown now, as the server sent it. */
  readonly currentHtml: string;
  readonly annotations: readonly Annotation[];
  readonly onClose: () => void;
};

type Loaded =
  | { readonly state: 'loading' }
  | { readonly state: 'kept'; readonly kept: AnnotatedVersion }
  | { readonly state: 'not-kept' }
  | { readonly state: 'failed'; readonly message: string };

function Piece({ piece }: { readonly piece: DiffPiece }) {
  if (piece.kind === 'gap') {
    return (
      <span className="version-changes__gap">
        {' … '}
        <span className="visually-hidden">(unchanged text left out) </span>
      </span>
    );
  }
  const text = piece.marked ? (
    <mark className="annotation-mark annotation-mark--yellow">
      <span className="visually-hidden">(your mark) </span>
      {piece.text}
    </mark>
  ) : (
    piece.text
  );
  if (piece.kind === 'removed') {
    return (
      <del>
        <span className="visually-hidden">(removed) </span>
        {text}
      </del>
    );
  }
  if (piece.kind === 'added') {
    return (
      <ins>
        <span className="visually-hidden">(added) </span>
        {text}
      </ins>
    );
  }
  return <>{text}</>;
}

function Comparison({
  kept,
  currentHtml,
  currentVersion,
  annotations,
}: {
  readonly kept: AnnotatedVersion;
  readonly currentHtml: string;
  readonly currentVersion: number;
  readonly annotations: readonly Annotation[];
}) {
  // Both texts in lines, so paragraphs stay apart; marks are found again in them by their
  // quotes (their offsets in the text without breaks are only a hint).
  const earlier = useBodyText(kept.bodyHtml).lines;
  const current = useBodyText(currentHtml).lines;
  const diff = useMemo(() => {
    const marks = annotations.flatMap((a) =>
      a.target.sourceVersion === kept.sourceVersion &&
      a.target.attachment === null &&
      a.target.quote
        ? [{ quote: a.target.quote, position: a.target.position }]
        : [],
    );
    return diffVersions(earlier, current, marks);
  }, [earlier, current, annotations, kept.sourceVersion]);
  if (diff.status === 'same') {
    return <p>The text is the same in version {currentVersion}.</p>;
  }
  if (diff.status === 'too-different') {
    return (
      <p>
        Versions {kept.sourceVersion} and {currentVersion} differ too much to compare word by word.
      </p>
    );
  }
  const marks = diff.marksShown === 1 ? '1 of your marks' : `${diff.marksShown} of your marks`;
  return (
    <>
      <p data-testid="version-changes-count">
        {diff.changes === 1 ? '1 change' : `${diff.changes} changes`}; {marks} on version{' '}
        {kept.sourceVersion} shown on its text. Struck through: no longer in the briefing.
        Underlined: new in version {currentVersion}.
      </p>
      <p className="version-changes__text" data-testid="version-changes-text">
        {diff.pieces.map((piece, index) => (
          <Piece key={index} piece={piece} />
        ))}
      </p>
    </>
  );
}

export function VersionChanges({
  briefingId,
  currentVersion,
  version,
  currentHtml,
  annotations,
  onClose,
}: Props) {
  const api = useApi();
  const dialog = useRef<HTMLDialogElement>(null);
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (version !== null && !element.open) element.showModal();
    if (version === null && element.open) element.close();
  }, [version]);

  useEffect(() => {
    if (version === null) return;
    let live = true;
    setLoaded({ state: 'loading' });
    void api.getAnnotatedVersion({ briefingId, sourceVersion: version }).then((result) => {
      if (!live) return;
      if (!result.ok) setLoaded({ state: 'failed', message: result.error.message });
      else if (result.value) setLoaded({ state: 'kept', kept: result.value });
      else setLoaded({ state: 'not-kept' });
    });
    return () => {
      live = false;
    };
  }, [api, briefingId, version]);

  return (
    <dialog
      ref={dialog}
      className="confirm-dialog version-changes"
      aria-labelledby="version-changes-title"
      data-testid="version-changes"
      onClose={onClose}
      // Escape closes the dialog natively; it must not also reach the reader behind it.
      onKeyDown={(event) => {
        if (event.key === 'Escape') event.stopPropagation();
      }}
    >
      {version !== null ? (
        <>
          <h2 id="version-changes-title" className="confirm-dialog__title">
            <GitCompareArrows aria-hidden="true" size={18} />
            What changed since version {version}
          </h2>
          <div className="version-changes__body" aria-live="polite">
            {loaded.state === 'loading' ? <p>Comparing…</p> : null}
            {loaded.state === 'failed' ? (
              <p className="confirm-dialog__error">{loaded.message}</p>
            ) : null}
            {loaded.state === 'not-kept' ? (
              <p>
                The text of version {version} is not on this device: the marks on it were made on
                another device after this one received a newer version, or before Attaché kept
                earlier versions. Each mark still shows the passage it was made on.
              </p>
            ) : null}
            {loaded.state === 'kept' ? (
              <Comparison
                kept={loaded.kept}
                currentHtml={currentHtml}
                currentVersion={currentVersion}
                annotations={annotations}
              />
            ) : null}
          </div>
          <div className="confirm-dialog__actions">
            <button type="button" className="button" autoFocus onClick={onClose}>
              Close
            </button>
          </div>
        </>
      ) : null}
    </dialog>
  );
}
