import { PDFDocument, StandardFonts } from 'pdf-lib';

/**
 * A PDF with a page per entry, each saying its line (null: a page without text, as a scan is);
 * returned base64-encoded for the SOR admin API.
 */
export async function pdfWithPages(lines: readonly (string | null)[]): Promise<string> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const line of lines) {
    const page = doc.addPage([595, 842]);
    if (line !== null) page.drawText(line, { x: 60, y: 760, size: 16, font });
    else page.drawRectangle({ x: 60, y: 600, width: 300, height: 150, borderWidth: 2 });
  }
  return Buffer.from(await doc.save()).toString('base64');
}

/** A one-page PDF whose text says `line`; returned base64-encoded for the SOR admin API. */
export function pdfWithText(line: string): Promise<string> {
  return pdfWithPages([line]);
}
