// The marks on a briefing's PDF attachments, at the end of the annotations panel: which file and
// page, the passage and the note, so every mark of the briefing is listed in one place. They are
// made, changed and shown on the page in the PDF viewer (PdfNotes.tsx). Notes are React text.
import type { Annotation } from '../../../shared/annotations/fold.js';
import { MarkKind, MarkText } from './MarkParts.js';
import { COLOUR_NAMES } from './placement.js';

export function AttachmentNotes({ annotations }: { readonly annotations: readonly Annotation[] }) {
  const onFiles = annotations
    .filter((a) => a.target.attachment !== null)
    .sort(
      (a, b) =>
        (a.target.attachment ?? '').localeCompare(b.target.attachment ?? '') ||
        (a.target.page ?? 1) - (b.target.page ?? 1) ||
        (a.target.position?.start ?? -1) - (b.target.position?.start ?? -1),
    );
  if (onFiles.length === 0) return null;
  return (
    <>
      <h3 className="annotations__subtitle">On attachments</h3>
      <p className="annotations__hint">Open the file to see them on their page, or change them.</p>
      <ol className="annotations__list">
        {onFiles.map((annotation) => {
          const where = `${annotation.target.attachment ?? ''}, page ${annotation.target.page ?? 1}`;
          const what = annotation.target.quote
            ? `${annotation.colour ? COLOUR_NAMES[annotation.colour] : 'Yellow'} highlight`
            : 'note';
          return (
            <li key={annotation.id} className="annotations__item" data-testid="attachment-note">
              <MarkKind label={`${where}: ${what}`} colour={null} />
              <MarkText annotation={annotation} />
            </li>
          );
        })}
      </ol>
    </>
  );
}
