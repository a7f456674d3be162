// The PDF text extractor's thread: pdf.js reads the text of each page, off the main thread.
// Only text: no fonts are loaded, nothing is rendered, no script in a PDF runs (pdf.js has no
// scripting without its viewer, and eval is off).
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { serveCalls } from '../threads/workers.js';

/** Past this, a PDF's remaining pages are not searched (a briefing annex is a few pages). */
const MAX_PAGES = 300;
const MAX_CHARS = 1_000_000;

serveCalls({
  extract: async ({ data }: { data: Uint8Array }) => {
    const task = getDocument({
      data,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      enableXfa: false,
      stopAtErrors: false,
      verbosity: 0,
    });
    const pdf = await task.promise;
    try {
      const pages: string[] = [];
      let chars = 0;
      for (let n = 1; n <= Math.min(pdf.numPages, MAX_PAGES) && chars < MAX_CHARS; n++) {
        const page = await pdf.getPage(n);
        const content = await page.getTextContent();
        const text = content.items
          .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : ' ') : ''))
          .join('');
        pages.push(text);
        chars += text.length;
        page.cleanup();
      }
      return pages.join('\n').slice(0, MAX_CHARS);
    } finally {
      await pdf.destroy();
    }
  },
});
