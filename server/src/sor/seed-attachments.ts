// Generated attachments for the demo SOR's sample briefings: real PDFs (pdf-lib) with text that
// belongs to the briefing, and one PNG chart (encoded by hand: zlib + CRC, no image library).
import { deflateSync } from 'node:zlib';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';

export type PdfSpec = {
  readonly title: string;
  readonly classification: string;
  readonly subtitle: string;
  readonly sections: readonly { heading: string; paragraphs: readonly string[] }[];
};

const PAGE = { width: 595.28, height: 841.89, margin: 56 } as const; // A4 in points

function wrap(text: string, maxWidth: number, measure: (s: string) => number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (measure(candidate) > maxWidth && line) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** A multi-page A4 PDF with the classification marking at the top and bottom of every page. */
export async function renderBriefingPdf(spec: PdfSpec, createdAt: Date): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(spec.title);
  pdf.setAuthor('Attaché demo SOR');
  pdf.setSubject(spec.subtitle);
  pdf.setCreationDate(createdAt);
  pdf.setModificationDate(createdAt);
  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  const red = rgb(0.7, 0.05, 0.05);
  const textWidth = PAGE.width - 2 * PAGE.margin;

  let page = pdf.addPage([PAGE.width, PAGE.height]);
  let y = PAGE.height - PAGE.margin - 20;
  const mark = (p: typeof page) => {
    const w = bold.widthOfTextAtSize(spec.classification, 10);
    p.drawText(spec.classification, {
      x: (PAGE.width - w) / 2,
      y: PAGE.height - 30,
      size: 10,
      font: bold,
      color: red,
    });
    p.drawText(spec.classification, {
      x: (PAGE.width - w) / 2,
      y: 22,
      size: 10,
      font: bold,
      color: red,
    });
  };
  mark(page);
  const ensureRoom = (needed: number) => {
    if (y - needed < PAGE.margin) {
      page = pdf.addPage([PAGE.width, PAGE.height]);
      mark(page);
      y = PAGE.height - PAGE.margin - 20;
    }
  };
  const write = (text: string, size: number, font: typeof regular, gapAfter: number) => {
    for (const line of wrap(text, textWidth, (s) => font.widthOfTextAtSize(s, size))) {
      ensureRoom(size + 4);
      page.drawText(line, { x: PAGE.margin, y, size, font });
      y -= size + 4;
    }
    y -= gapAfter;
  };

  write(spec.title, 18, bold, 6);
  write(spec.subtitle, 11, regular, 14);
  for (const section of spec.sections) {
    write(section.heading, 13, bold, 4);
    for (const paragraph of section.paragraphs) write(paragraph, 10.5, regular, 8);
    y -= 6;
  }
  return pdf.save({ useObjectStreams: false });
}

// --- PNG -----------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Buffers are handled as plain Uint8Arrays here: with @types/node 20 and TypeScript 5.9 a Buffer
// is not assignable to Uint8Array<ArrayBufferLike> (SharedArrayBuffer variance).
function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function uint32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0);
  return bytes;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const body = concat([new TextEncoder().encode(type), data]);
  return concat([uint32(data.length), body, uint32(crc32(body))]);
}

/** A simple bar chart (RGB PNG): one bar per value, scaled to the largest. */
export function renderBarChartPng(
  values: readonly number[],
  width = 480,
  height = 240,
): Uint8Array {
  const stride = width * 3 + 1;
  const pixels = new Uint8Array(stride * height).fill(0xff);
  const max = Math.max(...values, 1);
  const slot = Math.floor((width - 40) / values.length);
  const set = (x: number, y: number, [r, g, b]: readonly [number, number, number]) => {
    const i = y * stride + 1 + x * 3;
    pixels[i] = r;
    pixels[i + 1] = g;
    pixels[i + 2] = b;
  };
  for (let y = 0; y < height; y += 1) pixels[y * stride] = 0; // filter type: none
  for (let x = 20; x < width - 20; x += 1) set(x, height - 20, [60, 60, 60]); // axis
  values.forEach((value, index) => {
    const barHeight = Math.round(((height - 50) * value) / max);
    const x0 = 20 + index * slot + Math.floor(slot * 0.15);
    const x1 = 20 + (index + 1) * slot - Math.floor(slot * 0.15);
    const colour: [number, number, number] =
      index === values.length - 1 ? [200, 90, 30] : [30, 90, 160];
    for (let x = x0; x < x1; x += 1) {
      for (let y = height - 21; y > height - 21 - barHeight; y -= 1) set(x, y, colour);
    }
  });
  const header = concat([uint32(width), uint32(height), new Uint8Array([8, 2, 0, 0, 0])]); // 8-bit RGB
  const compressed = deflateSync(pixels);
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', new Uint8Array(compressed.buffer, compressed.byteOffset, compressed.byteLength)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
