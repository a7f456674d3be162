// The sample briefings' charts: real PNGs with a title, a vertical axis, each bar's label and
// value, and their caption and description in words inside the file, which the reader reads
// (src/renderer/src/reader/png-text.ts) for the picture's caption and text alternative.
import { Readable } from 'node:stream';
import * as PImage from 'pureimage';
import { describe, expect, it } from 'vitest';
import {
  describeBarChart,
  renderBarChartPng,
} from '../../../server/src/demo/sor/seed-attachments.js';

/** The uncompressed iTXt chunks of a PNG, keyword -> text (the reader's own parser: png-text.ts). */
function pngText(png: Uint8Array): Record<string, string> {
  const bytes = Buffer.from(png);
  const fields: Record<string, string> = {};
  for (let offset = 8; offset + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'iTXt') {
      const zero = data.indexOf(0);
      const language = data.indexOf(0, zero + 3);
      const translated = data.indexOf(0, language + 1);
      fields[data.toString('latin1', 0, zero)] = data.toString('utf8', translated + 1);
    }
    offset += 12 + length;
  }
  return fields;
}

const CHART = {
  title: 'Firefighting aircraft contracted, by season',
  unit: 'aircraft',
  labels: ['2020–21', '2021–22', '2022–23', '2023–24', '2024–25'],
  values: [120, 128, 135, 150, 161],
};

async function decode(png: Uint8Array) {
  return PImage.decodePNGFromStream(Readable.from([Buffer.from(png)]));
}

/** How many pixels of the row (or column) are darker than light grey. */
function dark(bitmap: PImage.Bitmap, along: 'row' | 'column', at: number): number {
  let count = 0;
  const n = along === 'row' ? bitmap.width : bitmap.height;
  for (let i = 0; i < n; i += 1) {
    const [r, g, b] = along === 'row' ? pixel(bitmap, i, at) : pixel(bitmap, at, i);
    if (r + g + b < 3 * 120) count += 1;
  }
  return count;
}

function pixel(bitmap: PImage.Bitmap, x: number, y: number): [number, number, number] {
  const rgba = bitmap.getPixelRGBA(x, y);
  return [(rgba >>> 24) & 0xff, (rgba >>> 16) & 0xff, (rgba >>> 8) & 0xff];
}

describe('sample chart PNGs', () => {
  it('carry their title as the caption and every value in words', async () => {
    const png = await renderBarChartPng(CHART);
    expect(pngText(png)).toEqual({
      Title: 'Firefighting aircraft contracted, by season',
      Description:
        'Bar chart, Firefighting aircraft contracted, by season (aircraft). 2020–21: 120; 2021–22: 128; 2022–23: 135; 2023–24: 150; 2024–25: 161.',
    });
    expect(
      describeBarChart({ ...CHART, unit: 'GL', values: [2.1, 3.5, 6.8, 13.9, 26.3] }),
    ).toContain('2024–25: 26.3.');
  });

  it('draw axes, bars and text on a white picture of the stated size', async () => {
    const bitmap = await decode(await renderBarChartPng(CHART, 640, 360));
    expect([bitmap.width, bitmap.height]).toEqual([640, 360]);
    expect(pixel(bitmap, 2, 2)).toEqual([255, 255, 255]);
    // The baseline runs across the plot; the vertical axis runs down it.
    expect(dark(bitmap, 'row', 360 - 48)).toBeGreaterThan(500);
    expect(dark(bitmap, 'column', 64)).toBeGreaterThan(200);
    // The title's letters, top left; the latest bar in its own colour.
    expect(dark(bitmap, 'row', 24)).toBeGreaterThan(20);
    const colours = new Set<string>();
    for (let x = 64; x < 620; x += 4) colours.add(pixel(bitmap, x, 300).join(','));
    expect(colours).toContain('29,95,168');
    expect(colours).toContain('194,65,12');
  });
});
