// pdf.js, loaded only when a PDF is opened (it is most of the reader's weight).
//
// The legacy build carries polyfills for the newest built-ins the modern build assumes, which
// the Electron version we ship may not have yet. The worker is the package's own file, bundled
// as a same-origin asset through Vite's `?url`, so it works offline and under `script-src
// 'self'`. No eval (`isEvalSupported: false`) and no WebAssembly (`useWasm: false`): the CSP
// allows neither, and pdf.js falls back to plain JavaScript for both.
import {
  getDocument,
  GlobalWorkerOptions,
  TextLayer,
  type PageViewport,
  type PDFDocumentProxy,
  type PDFPageProxy,
} from 'pdfjs-dist/legacy/build/pdf.mjs';
import workerUrl from 'pdfjs-dist/legacy/build/pdf.worker.min.mjs?url';

GlobalWorkerOptions.workerSrc = workerUrl;

export type { PDFDocumentProxy, PDFPageProxy, RenderTask } from 'pdfjs-dist/legacy/build/pdf.mjs';

export function openPdf(data: Uint8Array<ArrayBuffer>): {
  promise: Promise<PDFDocumentProxy>;
  cancel: () => void;
} {
  const task = getDocument({
    data,
    isEvalSupported: false,
    useWasm: false,
    enableXfa: false,
    // The whole file is already in memory; nothing is fetched from anywhere.
    disableAutoFetch: true,
    disableStream: true,
    disableRange: true,
  });
  return { promise: task.promise, cancel: () => void task.destroy() };
}

/**
 * The page's text as pdf.js lays it out over the canvas: transparent text in the page's own
 * positions, so it can be selected, read by a screen reader and marked by a search. Replaces
 * whatever the container held.
 */
export async function renderTextLayer(
  page: PDFPageProxy,
  viewport: PageViewport,
  container: HTMLElement,
): Promise<{ cancel: () => void; done: Promise<void> }> {
  container.replaceChildren();
  container.style.setProperty('--total-scale-factor', String(viewport.scale));
  const layer = new TextLayer({
    textContentSource: await page.getTextContent(),
    container,
    viewport,
  });
  const done: Promise<void> = layer.render() as Promise<void>;
  return { cancel: () => layer.cancel(), done };
}
