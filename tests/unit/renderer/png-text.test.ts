import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pngText } from '../../../src/renderer/src/reader/png-text.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A chunk with a zero CRC: the reader does not check CRCs (the image decoder does). */
function chunk(type: string, data: Uint8Array): number[] {
  const length = [24, 16, 8, 0].map((shift) => (data.length >>> shift) & 0xff);
  return [...length, ...new TextEncoder().encode(type), ...data, 0, 0, 0, 0];
}

const utf8 = (text: string) => [...new TextEncoder().encode(text)];
const latin1 = (text: string) => [...text].map((c) => c.charCodeAt(0));

function png(...chunks: number[][]): Uint8Array {
  return new Uint8Array([...SIGNATURE, ...chunks.flat()]);
}

const IHDR = chunk('IHDR', new Uint8Array(13));
const IDAT = chunk('IDAT', new Uint8Array(deflateSync(Buffer.alloc(4))));

describe('the text a PNG carries about itself', () => {
  it('reads tEXt (Latin-1) and uncompressed iTXt (UTF-8) before the image data', () => {
    const file = png(
      IHDR,
      chunk('tEXt', new Uint8Array([...latin1('Author'), 0, ...latin1('Café team')])),
      chunk(
        'iTXt',
        new Uint8Array([...utf8('Title'), 0, 0, 0, 0, 0, ...utf8('Seasons 2020–21 to 2024–25')]),
      ),
      chunk(
        'iTXt',
        new Uint8Array([
          ...utf8('Description'),
          0,
          0,
          0,
          ...utf8('en'),
          0,
          0,
          ...utf8('Bar chart'),
        ]),
      ),
      IDAT,
      chunk('tEXt', new Uint8Array([...latin1('Late'), 0, ...latin1('after the pixels')])),
    );
    expect(pngText(file)).toEqual({
      Author: 'Café team',
      Title: 'Seasons 2020–21 to 2024–25',
      Description: 'Bar chart',
    });
  });

  it('skips compressed iTXt, keeps the first of a repeated keyword, and caps the length', () => {
    const file = png(
      IHDR,
      chunk('iTXt', new Uint8Array([...utf8('Title'), 0, 1, 0, 0, 0, 120, 156])),
      chunk('tEXt', new Uint8Array([...latin1('Description'), 0, ...latin1('x'.repeat(5_000))])),
      chunk('tEXt', new Uint8Array([...latin1('Description'), 0, ...latin1('second')])),
      IDAT,
    );
    const text = pngText(file);
    expect(text['Title']).toBeUndefined();
    expect(text['Description']).toHaveLength(2_000);
  });

  it('reads nothing from what is not a PNG, and stops at a chunk cut short', () => {
    expect(pngText(new Uint8Array([1, 2, 3]))).toEqual({});
    expect(pngText(new TextEncoder().encode('GIF89a......'))).toEqual({});
    const cut = png(IHDR, chunk('tEXt', new Uint8Array([...latin1('Title'), 0, ...latin1('T')])));
    expect(pngText(cut.subarray(0, cut.length - 6))).toEqual({});
  });
});
