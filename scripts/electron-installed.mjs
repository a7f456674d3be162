// Where Electron's binary is, if `npm ci` (scripts/electron-binary.mjs) could download it; null
// otherwise. Read from the electron package's own record (path.txt) without loading the package:
// since Electron 42, `require('electron')` from Node downloads the binary when it is missing, so
// merely asking would start a 100 MB download (or fail slowly) wherever it is absent.
//
// As a command, prints the path and exits 0, or exits 1 when there is no binary.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** @param {string} [root] the project folder (its node_modules/electron is looked at) */
export function installedElectronBinary(root = repo) {
  const pkg = join(root, 'node_modules/electron');
  try {
    const relative = readFileSync(join(pkg, 'path.txt'), 'utf8').trim();
    const binary = join(pkg, 'dist', relative);
    return relative !== '' && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const binary = installedElectronBinary();
  if (binary) process.stdout.write(`${binary}\n`);
  process.exit(binary ? 0 : 1);
}
