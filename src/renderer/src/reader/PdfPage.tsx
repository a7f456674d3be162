// One page of the PDF viewer: drawn to a canvas with pdf.js once it comes near the viewport,
// with pdf.js's text layer over it (for screen readers, selection, a search's matches and the
// reader's highlights, painted with the CSS Custom Highlight API) and its own "Note on page"
// button, so a page without text can carry a note too.
import { useEffect, useRef, useState, type RefObject } from 'react';
import { NotebookPen } from 'lucide-react';
import type { Annotation } from '../../../shared/annotations/fold.js';
import type { SearchHighlight } from '../../../shared/search.js';
import { clearPageMarks, paintPageMarks } from '../annotations/pdf-marks.js';
import { matchRanges, paintMatches } from '../search/text-highlight.js';
import type { PDFDocumentProxy, RenderTask } from './pdf.js';

export type PageSize = { readonly width: number; readonly height: number };

export function PdfPage({
  doc,
  pageNumber,
  pageCount,
  size,
  scale,
  root,
  highlight,
  isFirstMatch,
  annotations,
  onUnplaced,
  onNote,
}: {
  readonly doc: PDFDocumentProxy;
  readonly pageNumber: number;
  readonly pageCount: number;
  readonly size: PageSize;
  readonly scale: number;
  readonly root: RefObject<HTMLDivElement | null>;
  readonly highlight: SearchHighlight | null;
  readonly isFirstMatch: boolean;
  /** The reader's annotations on this page. */
  readonly annotations: readonly Annotation[];
  /** Told which highlights of this page found no passage in its text. */
  readonly onUnplaced: (page: number, ids: readonly string[]) => void;
  readonly onNote: (page: number) => void;
}) {
  const frameRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const textRef = useRef<HTMLDivElement>(null);
  const [near, setNear] = useState(pageNumber <= 2);
  const [rendered, setRendered] = useState(false);
  const [matches, setMatches] = useState(0);
  // The text layer is drawn (a new one at each zoom): the highlights are painted on it.
  const [layerDrawn, setLayerDrawn] = useState(0);

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
      if (live) setLayerDrawn((n) => n + 1);
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

  useEffect(() => {
    const textBox = textRef.current;
    const owner = `pdf-marks-${pageNumber}`;
    if (!textBox || layerDrawn === 0) return;
    onUnplaced(pageNumber, paintPageMarks(owner, textBox, annotations));
    return () => clearPageMarks(owner);
  }, [annotations, layerDrawn, pageNumber, onUnplaced]);

  return (
    <div
      className="pdf-page"
      ref={frameRef}
      role="group"
      aria-label={`Page ${pageNumber} of ${pageCount}`}
      tabIndex={-1}
      data-page={pageNumber}
      data-rendered={rendered ? 'true' : 'false'}
      data-search-matches={matches}
      style={{ width: Math.floor(size.width * scale), height: Math.floor(size.height * scale) }}
    >
      <canvas ref={canvasRef} aria-hidden="true" />
      <div className="pdf-text-layer" ref={textRef} data-page={pageNumber} />
      <button
        type="button"
        className="icon-button pdf-page__note"
        aria-label={`Note on page ${pageNumber}`}
        title={`Note on page ${pageNumber}`}
        onClick={() => onNote(pageNumber)}
      >
        <NotebookPen aria-hidden="true" size={16} />
      </button>
    </div>
  );
}
