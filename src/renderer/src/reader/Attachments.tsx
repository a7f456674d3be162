// A briefing's attachments: PDFs open in the in-app viewer, images are shown inline, anything
// else is listed (this reader never hands files to other applications).
import { useEffect, useState } from 'react';
import { File, FileImage, FileText, LoaderCircle } from 'lucide-react';
import type { AttachmentMeta } from '../../../shared/briefing.js';
import type { BriefingDetail } from '../../../shared/ipc.js';
import type { SearchHighlight } from '../../../shared/search.js';
import { base64ToBytes, describeContentType, formatBytes } from '../ui/bytes.js';
import { PdfViewer } from './PdfViewer.js';
import { pngText, type PngText } from './png-text.js';
import { useAttachment } from './use-attachment.js';

const isPdf = (a: AttachmentMeta) => a.contentType.toLowerCase().startsWith('application/pdf');
// SVG is left out on purpose: it is a document that can carry script, not a picture.
const isImage = (a: AttachmentMeta) => /^image\/(png|jpe?g|gif|webp|avif)\b/i.test(a.contentType);

export function Attachments({
  briefing,
  watermark,
  highlight = null,
}: {
  readonly briefing: BriefingDetail;
  readonly watermark: string;
  /** A search's matches, marked on the PDF's pages too. */
  readonly highlight?: SearchHighlight | null;
}) {
  const [viewing, setViewing] = useState<AttachmentMeta | null>(null);
  const { attachments } = briefing;
  if (attachments.length === 0) return null;
  const images = attachments.filter(isImage);

  return (
    <section className="attachments" aria-labelledby="attachments-heading">
      <h2 id="attachments-heading" className="attachments__heading">
        Attachments <span className="attachments__count">{attachments.length}</span>
      </h2>
      <ul className="attachment-list">
        {attachments.map((attachment) => {
          const Icon = isPdf(attachment) ? FileText : isImage(attachment) ? FileImage : File;
          return (
            <li key={attachment.name} className="attachment" data-attachment-name={attachment.name}>
              <span
                className="attachment__icon"
                data-kind={isPdf(attachment) ? 'pdf' : isImage(attachment) ? 'image' : 'file'}
              >
                <Icon aria-hidden="true" size={20} />
              </span>
              <span className="attachment__text">
                <span className="attachment__name">{attachment.name}</span>
                <span className="attachment__meta">
                  {describeContentType(attachment.contentType)} · {formatBytes(attachment.size)}
                </span>
              </span>
              {isPdf(attachment) ? (
                <button
                  type="button"
                  className="button button--secondary"
                  aria-label={`Open ${attachment.name}`}
                  onClick={() => setViewing(attachment)}
                >
                  Open
                </button>
              ) : (
                <span className="attachment__note">
                  {isImage(attachment) ? 'Shown below' : 'No preview on this device'}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {images.map((image) => (
        <InlineImage key={image.name} briefingId={briefing.id} attachment={image} />
      ))}
      {viewing ? (
        <PdfViewer
          briefingId={briefing.id}
          attachment={viewing}
          marking={briefing.classification}
          watermark={watermark}
          highlight={highlight}
          onClose={() => setViewing(null)}
        />
      ) : null}
    </section>
  );
}

function InlineImage({
  briefingId,
  attachment,
}: {
  readonly briefingId: string;
  readonly attachment: AttachmentMeta;
}) {
  const state = useAttachment(briefingId, attachment.name);
  const [image, setImage] = useState<{ url: string; text: PngText } | null>(null);

  useEffect(() => {
    if (state.phase !== 'ready') return;
    const bytes = base64ToBytes(state.content.base64);
    const objectUrl = URL.createObjectURL(new Blob([bytes], { type: state.content.contentType }));
    setImage({ url: objectUrl, text: pngText(bytes) });
    return () => {
      URL.revokeObjectURL(objectUrl);
      setImage(null);
    };
  }, [state]);

  // A chart names itself and says what it shows (png-text.ts); otherwise the file name.
  const caption = image?.text['Title'] || attachment.name;
  return (
    <figure className="inline-image">
      {image ? (
        <img src={image.url} alt={image.text['Description'] || caption} />
      ) : (
        <div className="inline-image__placeholder">
          {state.phase === 'loading' ? (
            <>
              <LoaderCircle aria-hidden="true" className="spin" size={20} /> Loading image…
            </>
          ) : state.phase === 'error' ? (
            state.error.message
          ) : state.phase === 'missing' ? (
            'This image is not on this device yet.'
          ) : null}
        </div>
      )}
      <figcaption>
        {caption}
        {caption !== attachment.name ? (
          <span className="inline-image__file"> ({attachment.name})</span>
        ) : null}
      </figcaption>
    </figure>
  );
}
