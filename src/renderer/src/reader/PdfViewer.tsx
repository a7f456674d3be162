// The in-app PDF viewer: a modal dialog that renders each page to a canvas with pdf.js, only
// once the page comes near the viewport. Over each canvas lies pdf.js's text layer: the page's
// text, transparent, where it stands on the page, for screen readers (a canvas alone says
// nothing), for selection, and for a search's matches, which are marked on it. Opened from a
// search, the viewer starts at the first page that matches. Banners and watermark as in the
// reader.
import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type RefObject,
} from 'react';
import { FileText, LoaderCircle, MoveHorizontal, X, ZoomIn, ZoomOut } from 'lucide-react';
import type { AttachmentMeta } from '../../../shared/briefing.js';
import type { SearchHighlight } from '../../../shared/search.js';
import { findMatches } from '../../../shared/search.js';
import { matchRanges, paintMatches } from '../search/text-highlight.js';
import { base64ToBytes } from '../ui/bytes.js';
import { ClassificationBanner } from '../ui/markings.js';
import { Watermark } from '../ui/Watermark.js';
import type { PDFDocumentProxy, RenderTask } from './pdf.js';
import { useAttachment } from './use-attachment.js';

const ZOOM_STEPS = [0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3];
const PAGE_GUTTER_PX = 48;
/** "Fit to width" stops here: a page blown up past this reads worse, not better. */
const MAX_FIT_SCALE = 1.5;

type PageSize = { readonly width: number; readonly height: number };
type LoadedPdf =
  | { readonly phase: 'loading' }
  | { readonly phase: 'ready'; readonly doc: PDFDocumentProxy; readonly pages: readonly PageSize[] }
  | { readonly phase: 'error'; readonly message: string };

type Props = {
  readonly briefingId: string;
  readonly attachment: AttachmentMeta;
  readonly marking: string;
  readonly watermark: string;
  readonly highlight?: SearchHighlight | null;
  readonly onClose: () => void;
};

export function PdfViewer({
  briefingId,
  attachment,
  marking,
  watermark,
  highlight = null,
  onClose,
}: Props) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const pagesRef = useRef<HTMLDivElement>(null);
  const content = useAttachment(briefingId, attachment.name);
  const [pdf, setPdf] = useState<LoadedPdf>({ phase: 'loading' });
  const [zoom, setZoom] = useState<number | 'fit'>('fit');
  const [availableWidth, setAvailableWidth] = useState(800);
  /** The first page with a match of the search it was opened from (1-based), once known. */
  const [firstMatchPage, setFirstMatchPage] = useState<number | null>(null);

  useEffect(() => {
    if (pdf.phase !== 'ready' || !highlight) return;
    let live = true;
    void (async () => {
      for (let n = 1; n <= pdf.doc.numPages && live; n++) {
        const content = await (await pdf.doc.getPage(n)).getTextContent();
        const text = content.items.map((item) => ('str' in item ? item.str : '')).join(' ');
        if (findMatches(text, highlight).length > 0) {
          if (live) setFirstMatchPage(n);
          return;
        }
      }
    })().catch(() => {
      // The document was closed meanwhile: nothing to scroll to.
    });
    return () => {
      live = false;
    };
  }, [pdf, highlight]);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  useEffect(() => {
    const pages = pagesRef.current;
    if (!pages) return;
    const observer = new ResizeObserver(() => setAvailableWidth(pages.clientWidth));
    observer.observe(pages);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (content.phase === 'error') setPdf({ phase: 'error', message: content.error.message });
    if (content.phase === 'missing')
      setPdf({ phase: 'error', message: 'This file is not on this device yet.' });
    if (content.phase !== 'ready') return;
    let live = true;
    let cancel: (() => void) | null = null;
    let loaded: PDFDocumentProxy | null = null;
    void (async () => {
      try {
        const { openPdf } = await import('./pdf.js');
        if (!live) return;
        const task = openPdf(base64ToBytes(content.content.base64));
        cancel = task.cancel;
        const doc = await task.promise;
        loaded = doc;
        const pages: PageSize[] = [];
        for (let n = 1; n <= doc.numPages; n++) {
          const viewport = (await doc.getPage(n)).getViewport({ scale: 1 });
          pages.push({ width: viewport.width, height: viewport.height });
        }
        if (live) setPdf({ phase: 'ready', doc, pages });
      } catch {
        if (live)
          setPdf({
            phase: 'error',
            message: 'This PDF could not be displayed. The file may be damaged.',
          });
      }
    })();
    return () => {
      live = false;
      if (loaded) void loaded.destroy();
      else cancel?.();
    };
  }, [content]);

  const widest = pdf.phase === 'ready' ? Math.max(...pdf.pages.map((p) => p.width)) : 612;
  const fitScale = Math.max(
    0.25,
    Math.min(MAX_FIT_SCALE, (availableWidth - PAGE_GUTTER_PX) / widest),
  );
  const scale = zoom === 'fit' ? fitScale : zoom;

  // Zoom means something only for a document on screen: not while it opens, nor after it failed.
  const canZoom = pdf.phase === 'ready';
  const zoomBy = useCallback(
    (direction: 1 | -1) => {
      if (!canZoom) return;
      const steps = direction === 1 ? ZOOM_STEPS : [...ZOOM_STEPS].reverse();
      const next = steps.find((step) =>
        direction === 1 ? step > scale + 0.001 : step < scale - 0.001,
      );
      if (next !== undefined) setZoom(next);
    },
    [scale, canZoom],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLDialogElement>) => {
    // Escape closes the dialog natively; it must not also reach the reader behind it.
    if (event.key === 'Escape') event.stopPropagation();
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === '+' || event.key === '=') {
      event.preventDefault();
      zoomBy(1);
    } else if (event.key === '-') {
      event.preventDefault();
      zoomBy(-1);
    }
  };

  const pageCount = pdf.phase === 'ready' ? pdf.pages.length : null;

  return (
    <dialog
      ref={dialogRef}
      className="pdf-viewer"
      aria-labelledby="pdf-viewer-title"
      onClose={onClose}
      onKeyDown={onKeyDown}
    >
      <ClassificationBanner marking={marking} position="top" />
      <div className="pdf-viewer__bar">
        <FileText aria-hidden="true" size={18} className="pdf-viewer__file-icon" />
        <h2 id="pdf-viewer-title" className="pdf-viewer__title">
          {attachment.name}
        </h2>
        {pageCount !== null ? (
          <span className="pdf-viewer__count">
            {pageCount} {pageCount === 1 ? 'page' : 'pages'}
          </span>
        ) : null}
        <div className="pdf-viewer__tools" role="group" aria-label="Zoom">
          <button
            type="button"
            className="icon-button"
            aria-label="Zoom out"
            title="Zoom out (−)"
            disabled={!canZoom}
            onClick={() => zoomBy(-1)}
          >
            <ZoomOut aria-hidden="true" size={18} />
          </button>
          <output className="pdf-viewer__zoom" aria-live="polite" aria-label="Zoom level">
            {canZoom ? `${Math.round(scale * 100)}%` : '–'}
          </output>
          <button
            type="button"
            className="icon-button"
            aria-label="Zoom in"
            title="Zoom in (+)"
            disabled={!canZoom}
            onClick={() => zoomBy(1)}
          >
            <ZoomIn aria-hidden="true" size={18} />
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label="Fit to width"
            title="Fit to width"
            aria-pressed={zoom === 'fit'}
            disabled={!canZoom}
            onClick={() => setZoom('fit')}
          >
            <MoveHorizontal aria-hidden="true" size={18} />
          </button>
        </div>
        <button
          type="button"
          className="icon-button pdf-viewer__close"
          aria-label="Close"
          title="Close (Esc)"
          autoFocus
          onClick={() => dialogRef.current?.close()}
        >
          <X aria-hidden="true" size={20} />
        </button>
      </div>
      <div className="pdf-viewer__frame">
        <div
          className="pdf-viewer__pages"
          ref={pagesRef}
          role="region"
          aria-label={`Pages of ${attachment.name}`}
          aria-busy={pdf.phase === 'loading'}
          tabIndex={0}
        >
          {pdf.phase === 'loading' ? (
            <p className="pdf-viewer__status" role="status">
              <LoaderCircle aria-hidden="true" className="spin" size={20} /> Opening{' '}
              {attachment.name}…
            </p>
          ) : pdf.phase === 'error' ? (
            <p className="pdf-viewer__status" role="alert">
              {pdf.message}
            </p>
          ) : (
            pdf.pages.map((size, i) => (
              <PdfPage
                key={i}
                doc={pdf.doc}
                pageNumber={i + 1}
                pageCount={pdf.pages.length}
                size={size}
                scale={scale}
                root={pagesRef}
                highlight={highlight}
                isFirstMatch={firstMatchPage === i + 1}
              />
            ))
          )}
        </div>
        <Watermark text={watermark} />
      </div>
      <ClassificationBanner marking={marking} position="bottom" />
    </dialog>
  );
}

function PdfPage({
  doc,
  pageNumber,
  pageCount,
  size,
  scale,
  root,
  highlight,
  isFirstMatch,
}: {
  readonly doc: PDFDocumentProxy;
  readonly pageNumber: number;
  readonly pageCount: number;
  readonly size: PageSize;
  readonly scale: number;
  readonly root: RefObject<HTMLDivElement | null>;
  readonly highlight: SearchHighlight | null;
  readonly isFirstMatch: boolean;
}) {
  const frameRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const textRef = useRef<HTMLDivElement>(null);
  const [near, setNear] = useState(pageNumber <= 2);
  const [rendered, setRendered] = useState(false);
  const [matches, setMatches] = useState(0);

  useEffect(() => {
    if (!isFirstMatch) return;
    setNear(true);
    frameRef.current?.scrollIntoView({ block: 'start' });
  }, [isFirstMatch]);

  useEffect(() => {
    const frame = frameRef.current;
    if (!frame || near) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) setNear(true);
      },
      { root: root.current, rootMargin: '800px 0px' },
    );
    observer.observe(frame);
    return () => observer.disconnect();
  }, [near, root]);

  useEffect(() => {
    if (!near) return;
    let live = true;
    let task: RenderTask | null = null;
    let textLayer: { cancel: () => void } | null = null;
    const owner = `pdf-page-${pageNumber}`;
    void (async () => {
      const canvas = canvasRef.current;
      const textBox = textRef.current;
      if (!canvas || !textBox) return;
      const page = await doc.getPage(pageNumber);
      if (!live) return;
      const viewport = page.getViewport({ scale });
      const ratio = window.devicePixelRatio || 1;
      canvas.width = Math.floor(viewport.width * ratio);
      canvas.height = Math.floor(viewport.height * ratio);
      task = page.render({
        canvas,
        viewport,
        transform: ratio === 1 ? undefined : [ratio, 0, 0, ratio, 0, 0],
      });
      await task.promise;
      if (live) setRendered(true);
      const { renderTextLayer } = await import('./pdf.js');
      if (!live) return;
      const layer = await renderTextLayer(page, viewport, textBox);
      textLayer = layer;
      await layer.done;
      if (!live || !highlight) return;
      const ranges = matchRanges(textBox, highlight);
      paintMatches(owner, ranges);
      setMatches(ranges.length);
    })().catch(() => {
      // A cancelled render (zoom changed, viewer closed) rejects; the next effect redraws.
    });
    return () => {
      live = false;
      task?.cancel();
      textLayer?.cancel();
      paintMatches(owner, []);
    };
  }, [doc, pageNumber, scale, near, highlight]);

  return (
    <div
      className="pdf-page"
      ref={frameRef}
      role="group"
      aria-label={`Page ${pageNumber} of ${pageCount}`}
      data-rendered={rendered ? 'true' : 'false'}
      data-search-matches={matches}
      style={{ width: Math.floor(size.width * scale), height: Math.floor(size.height * scale) }}
    >
      <canvas ref={canvasRef} aria-hidden="true" />
      <div className="pdf-text-layer" ref={textRef} />
    </div>
  );
}
