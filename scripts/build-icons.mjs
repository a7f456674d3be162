// The app's icons, all made from one source image (build/icon.svg): the PNG sizes Linux desktops
// and electron-builder use (build/icons/<n>x<n>.png), the Windows .ico and the macOS .icns.
// `npm run icons` writes them into build/; `npm run dist` runs it first, so a packaged app always
// carries icons made from the SVG as it is. They are build output, not committed.
//
// sharp (libvips, prebuilt for every OS the build runs on) renders the SVG at each size, which
// keeps small sizes crisp (no downscaling of one big bitmap); @shockpkg/icon-encoder writes the
// two container formats with the entry types each OS expects (PNG entries in the .ico,
// the iconutil set in the .icns).
//
// Usage: node scripts/build-icons.mjs [output folder]   (default: build)
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IconIcns, IconIco } from '@shockpkg/icon-encoder';
import sharp from 'sharp';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE = join(repo, 'build/icon.svg');

/** Every size rendered, in pixels. */
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
/** Windows: Explorer, taskbar and Start use these; 256 is the largest an .ico holds. */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** macOS: each size and the .icns entry types it fills (1x and 2x, as iconutil writes them). */
export const ICNS_TYPES = {
  16: ['ic04'],
  32: ['ic05', 'ic11'],
  64: ['ic12'],
  128: ['ic07'],
  256: ['ic08', 'ic13'],
  512: ['ic09', 'ic14'],
  1024: ['ic10'],
};

async function render(svg, size) {
  // The SVG is 1024 units wide; its density scales it to `size` so each size is drawn, not shrunk.
  return sharp(svg, { density: (72 * size) / 1024 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();
}

export async function buildIcons(outDir = join(repo, 'build'), source = SOURCE) {
  const svg = await readFile(source);
  const pngs = new Map();
  for (const size of PNG_SIZES) pngs.set(size, await render(svg, size));

  await mkdir(join(outDir, 'icons'), { recursive: true });
  for (const [size, png] of pngs)
    await writeFile(join(outDir, 'icons', `${size}x${size}.png`), png);
  // electron-builder's fallback for any target without its own icon.
  await writeFile(join(outDir, 'icon.png'), pngs.get(1024));

  const ico = new IconIco();
  for (const size of ICO_SIZES) await ico.addFromPng(pngs.get(size), true);
  await writeFile(join(outDir, 'icon.ico'), ico.encode());

  const icns = new IconIcns();
  for (const [size, types] of Object.entries(ICNS_TYPES)) {
    await icns.addFromPng(pngs.get(Number(size)), types);
  }
  await writeFile(join(outDir, 'icon.icns'), icns.encode());
  return outDir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildIcons(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`[attache] icons written to ${out}`);
}
