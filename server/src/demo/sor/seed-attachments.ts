// Generated attachments for the demo SOR's sample briefings: real PDFs (pdf-lib) with text that
// belongs to the briefing, and PNG bar charts (pureimage) with axes, labels, values and their
// caption inside the file.
import { createRequire } from 'node:module';
import path from 'node:path';
import { Writable } from 'node:stream';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import * as PImage from 'pureimage';

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

export type BarChartSpec = {
  /** The chart's title, drawn above it and kept in the file as its caption (PNG `Title`). */
  readonly title: string;
  /** What the values count, for the vertical axis ("aircraft", "GL"). */
  readonly unit: string;
  /** One label per bar, under it. */
  readonly labels: readonly string[];
  readonly values: readonly number[];
};

/** Round steps for the vertical axis: 1, 2 or 5 times a power of ten, about five of them. */
function niceStep(max: number): number {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

const formatValue = (value: number): string =>
  value.toLocaleString('en-AU', { maximumFractionDigits: 1 });

/**
 * The chart in words, for whoever cannot see it (the PNG's `Description`, which the reader uses
 * as the picture's text alternative): every bar with its value.
 */
export function describeBarChart(spec: BarChartSpec): string {
  const bars = spec.labels.map((label, i) => `${label}: ${formatValue(spec.values[i] ?? 0)}`);
  return `Bar chart, ${spec.title} (${spec.unit}). ${bars.join('; ')}.`;
}

// The chart's font: Liberation Sans, which pdfjs-dist (a dependency of the reader) ships as TTF.
const require = createRequire(import.meta.url);
const FONT_DIR = path.join(
  path.dirname(require.resolve('pdfjs-dist/package.json')),
  'standard_fonts',
);
let fontsLoaded: Promise<void> | null = null;
function loadFonts(): Promise<void> {
  fontsLoaded ??= Promise.all([
    PImage.registerFont(
      path.join(FONT_DIR, 'LiberationSans-Regular.ttf'),
      'ChartSans',
    ).loadPromise(),
    PImage.registerFont(
      path.join(FONT_DIR, 'LiberationSans-Bold.ttf'),
      'ChartSansBold',
    ).loadPromise(),
  ]).then(() => undefined);
  return fontsLoaded;
}

/** PNG `iTXt` chunk: keyword, no compression, no language, UTF-8 text. */
function textChunk(keyword: string, text: string): Uint8Array {
  const encoder = new TextEncoder();
  return chunk(
    'iTXt',
    concat([encoder.encode(keyword), new Uint8Array([0, 0, 0, 0, 0]), encoder.encode(text)]),
  );
}

/**
 * A bar chart as a PNG: title, vertical axis with round steps and gridlines, each bar's label
 * under it and its value above it, the last bar (the latest) highlighted. Drawn with pureimage
 * (a canvas in plain JavaScript); the title and a description in words go into the file as
 * `iTXt` chunks, so the picture carries its own caption and text alternative.
 */
export async function renderBarChartPng(
  spec: BarChartSpec,
  width = 640,
  height = 360,
): Promise<Uint8Array> {
  await loadFonts();
  const image = PImage.make(width, height);
  const ctx = image.getContext('2d');
  const plot = { left: 64, right: width - 24, top: 80, bottom: height - 48 };
  const max = Math.max(...spec.values, 0);
  const step = niceStep(max || 1);
  const top = Math.ceil(max / step) * step || step;
  const yOf = (value: number) => plot.bottom - ((plot.bottom - plot.top) * value) / top;

  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#1f2937';
  ctx.font = '18pt ChartSansBold';
  ctx.textAlign = 'left';
  ctx.fillText(spec.title, 16, 30);

  // Vertical axis: gridlines and their values; the unit above it.
  ctx.font = '12pt ChartSans';
  ctx.fillStyle = '#4b5563';
  ctx.fillText(spec.unit, 16, plot.top - 24);
  ctx.textAlign = 'right';
  for (let value = 0; value <= top + step / 1000; value += step) {
    const y = Math.round(yOf(value));
    ctx.fillStyle = value === 0 ? '#374151' : '#e5e7eb';
    ctx.fillRect(plot.left, y, plot.right - plot.left, value === 0 ? 2 : 1);
    ctx.fillStyle = '#4b5563';
    ctx.fillText(formatValue(value), plot.left - 8, y + 5);
  }
  ctx.fillStyle = '#374151';
  ctx.fillRect(plot.left, plot.top, 2, plot.bottom - plot.top);

  // Bars, each with its value above and its label below.
  const slot = (plot.right - plot.left) / spec.values.length;
  ctx.textAlign = 'center';
  spec.values.forEach((value, index) => {
    const x0 = Math.round(plot.left + index * slot + slot * 0.2);
    const x1 = Math.round(plot.left + (index + 1) * slot - slot * 0.2);
    const y = Math.round(yOf(value));
    ctx.fillStyle = index === spec.values.length - 1 ? '#c2410c' : '#1d5fa8';
    ctx.fillRect(x0, y, x1 - x0, plot.bottom - y);
    const centre = (x0 + x1) / 2;
    ctx.fillStyle = '#111827';
    ctx.font = '12pt ChartSansBold';
    ctx.fillText(formatValue(value), centre, y - 6);
    ctx.fillStyle = '#374151';
    ctx.font = '12pt ChartSans';
    ctx.fillText(spec.labels[index] ?? '', centre, plot.bottom + 22);
  });

  const chunks: Uint8Array[] = [];
  const sink = new Writable({
    write(data: Buffer, _encoding, done) {
      chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      done();
    },
  });
  await PImage.encodePNGToStream(image, sink);
  const png = concat(chunks);
  // Signature (8 bytes) and IHDR (25) first; the text chunks right after, before the pixels.
  const headerEnd = 8 + 25;
  return concat([
    png.subarray(0, headerEnd),
    textChunk('Title', spec.title),
    textChunk('Description', describeBarChart(spec)),
    png.subarray(headerEnd),
  ]);
}
