// The in-app PDF viewer: a modal dialog that renders each page to a canvas with pdf.js, only
// once the page comes near the viewport. Over each canvas lies pdf.js's text layer: the page's
// text, transparent, where it stands on the page, for screen readers (a canvas alone says
// nothing), for selection, and for a search's matches, which are marked on it. Opened from a
// search, the viewer starts at the first page that matches. Banners and watermark as in the
// reader.
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { FileText, LoaderCircle, MoveHorizontal, X, ZoomIn, ZoomOut } from 'lucide-react';
import type { Annotation } from '../../../shared/annotations/fold.js';
import type { AttachmentMeta } from '../../../shared/briefing.js';
import type { SearchHighlight } from '../../../shared/search.js';
import { findMatches } from '../../../shared/search.js';
import { selectionOffsets } from '../annotations/paint.js';
import type { PageSelection, PdfComposer } from '../annotations/PdfNotes.js';
import { PdfNotes } from '../annotations/PdfNotes.js';
import { useAnnotations } from '../annotations/use-annotations.js';
import { base64ToBytes } from '../ui/bytes.js';
import { ClassificationBanner } from '../ui/markings.js';
import { Watermark } from '../ui/Watermark.js';
import type { PDFDocumentProxy } from './pdf.js';
import type { PageSize } from './PdfPage.js';
import { PdfPage } from './PdfPage.js';
import { useAttachment } from './use-attachment.js';

const NO_ANNOTATIONS: readonly Annotation[] = [];
const ZOOM_STEPS = [0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3];
const PAGE_GUTTER_PX = 48;
/** "Fit to width" stops here: a page blown up past this reads worse, not better. */
const MAX_FIT_SCALE = 1.5;

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
  const { annotations, save } = useAnnotations(briefingId);
  const mine = useMemo(
    () => (annotations ?? []).filter((a) => a.target.attachment === attachment.name),
    [annotations, attachment.name],
  );
  const byPage = useMemo(() => {
    const pages = new Map<number, Annotation[]>();
    for (const a of mine)
      pages.set(a.target.page ?? 1, [...(pages.get(a.target.page ?? 1) ?? []), a]);
    return pages;
  }, [mine]);
  const [selection, setSelection] = useState<PageSelection | null>(null);
  const [composer, setComposer] = useState<PdfComposer>({ mode: 'closed' });
  const [unplacedByPage, setUnplacedByPage] = useState<ReadonlyMap<number, readonly string[]>>(
    new Map(),
  );
  const onUnplaced = useCallback((page: number, ids: readonly string[]) => {
    setUnplacedByPage((previous) => {
      const before = previous.get(page) ?? [];
      if (before.length === ids.length && before.every((id, i) => id === ids[i])) return previous;
      return new Map(previous).set(page, ids);
    });
  }, []);
  const unplaced = useMemo(() => new Set([...unplacedByPage.values()].flat()), [unplacedByPage]);

  // Text selected on one page's text layer (a selection across pages marks nothing).
  useEffect(() => {
    const onChange = () => {
      const current = window.getSelection();
      const layerOf = (node: Node | null | undefined) =>
        (node instanceof Element ? node : node?.parentElement)?.closest<HTMLElement>(
          '.pdf-text-layer',
        ) ?? null;
      const layer = layerOf(current?.anchorNode);
      const offsets =
        layer && layer === layerOf(current?.focusNode) ? selectionOffsets(layer, current) : null;
      setSelection(
        layer && offsets
          ? { page: Number(layer.dataset['page']), ...offsets, pageText: layer.textContent ?? '' }
          : null,
      );
    };
    document.addEventListener('selectionchange', onChange);
    return () => document.removeEventListener('selectionchange', onChange);
  }, []);

  const goToPage = useCallback((page: number) => {
    const frame = pagesRef.current?.querySelector<HTMLElement>(`.pdf-page[data-page="${page}"]`);
    frame?.scrollIntoView({ block: 'start' });
    frame?.focus({ preventScroll: true });
  }, []);
  const notePage = useCallback(
    (page: number) => setComposer({ mode: 'new', page, selection: null }),
    [],
  );

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
      <div className="pdf-viewer__body">
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
                  annotations={byPage.get(i + 1) ?? NO_ANNOTATIONS}
                  onUnplaced={onUnplaced}
                  onNote={notePage}
                />
              ))
            )}
          </div>
          <Watermark text={watermark} />
        </div>
        <PdfNotes
          briefingId={briefingId}
          attachment={attachment.name}
          annotations={mine}
          unplaced={unplaced}
          selection={selection}
          composer={composer}
          onComposer={setComposer}
          save={save}
          onGoToPage={goToPage}
        />
      </div>
      <ClassificationBanner marking={marking} position="bottom" />
    </dialog>
  );
}
