import { PDFDocument, StandardFonts } from 'pdf-lib';

/** A one-page PDF whose text says `line`; returned base64-encoded for the SOR admin API. */
export async function pdfWithText(line: string): Promise<string> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText(line, { x: 60, y: 760, size: 16, font });
  return Buffer.from(await doc.save()).toString('base64');
}
