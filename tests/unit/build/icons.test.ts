// scripts/build-icons.mjs, run as `npm run icons` and by `npm run dist`: every icon file made
// from build/icon.svg, each in the container format its OS reads, at the sizes it asks for.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../device/fixtures.js';

const REPO = resolve(import.meta.dirname, '../../..');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE), 'a PNG').toBe(true);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

let out: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  out = await tempDir('icons');
  const run = spawnSync(process.execPath, ['scripts/build-icons.mjs', out.path], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(run.status, run.stderr).toBe(0);
}, 120_000);
afterAll(() => out.remove());

describe('the icon script', () => {
  it('renders the source image at every PNG size Linux desktops and electron-builder use', async () => {
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
      const png = readFileSync(join(out.path, 'icons', `${size}x${size}.png`));
      expect(pngSize(png)).toEqual({ width: size, height: size });
    }
    // The drawing itself, not an empty canvas: paper in the middle, transparent corners.
    const { data, info } = await sharp(readFileSync(join(out.path, 'icons/256x256.png')))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * 4, (y * info.width + x) * 4 + 4),
    ];
    expect(pixel(0, 0)[3]).toBe(0);
    expect(pixel(128, 100)).toEqual([0xf1, 0xfa, 0xee, 255]);
    expect(pixel(40, 128)).toEqual([0x1d, 0x35, 0x57, 255]);
  });

  it('writes a Windows .ico with PNG entries from 16 to 256 pixels', () => {
    const ico = readFileSync(join(out.path, 'icon.ico'));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]); // reserved, type icon
    const count = ico.readUInt16LE(4);
    const sizes: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const entry = 6 + i * 16;
      const declared = ico.readUInt8(entry) || 256; // 0 stands for 256
      const length = ico.readUInt32LE(entry + 8);
      const offset = ico.readUInt32LE(entry + 12);
      const image = ico.subarray(offset, offset + length);
      expect(pngSize(image)).toEqual({ width: declared, height: declared });
      sizes.push(declared);
    }
    expect(sizes.sort((a, b) => a - b)).toEqual([16, 24, 32, 48, 64, 128, 256]);
  });

  it('writes a macOS .icns with the iconutil set of entries, 16 to 1024 pixels', () => {
    const icns = readFileSync(join(out.path, 'icon.icns'));
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const entries = new Map<string, Buffer>();
    for (let at = 8; at < icns.length;) {
      const length = icns.readUInt32BE(at + 4);
      expect(length).toBeGreaterThan(8);
      entries.set(icns.toString('latin1', at, at + 4), icns.subarray(at + 8, at + length));
      at += length;
    }
    // PNG entries by type, and the pixel size each must have (1x and 2x variants).
    const pngTypes: Record<string, number> = {
      ic11: 32,
      ic12: 64,
      ic07: 128,
      ic08: 256,
      ic13: 256,
      ic09: 512,
      ic14: 512,
      ic10: 1024,
    };
    expect([...entries.keys()].sort()).toEqual([...Object.keys(pngTypes), 'ic04', 'ic05'].sort());
    for (const [type, size] of Object.entries(pngTypes)) {
      expect(pngSize(entries.get(type) ?? Buffer.alloc(0)), type).toEqual({
        width: size,
        height: size,
      });
    }
    // 16 and 32 px are ARGB bitmaps (PackBits), the form the Finder draws small icons from.
    expect(entries.get('ic04')?.toString('latin1', 0, 4)).toBe('ARGB');
    expect(entries.get('ic05')?.toString('latin1', 0, 4)).toBe('ARGB');
  });
});
