// Node.js LTS for the project's own commands (`npm test`, `npm start`) where the machine's Node
// is older than the supported lines (scripts/node-runtime.json: supportedMajors). Installs the
// npm registry's `node-<platform>-<arch>` package (the binary and its C headers; not the `node`
// wrapper package, whose nested install `allowScripts` may block) into `.tools/`, and prints that
// folder; prints nothing where the machine's Node is already supported.
//
// The tarball is fetched with `npm pack`, which checks it against the registry's integrity, and
// checked again here against the integrity pinned in node-runtime.json (taken from the registry
// when the pin was last moved), so a changed package is refused rather than run. The unpacked
// runtime is kept: later runs check its stamp and download nothing.
//
// Usage: node scripts/node-runtime.mjs [--force]   (--force: install even on a supported Node)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// No import.meta.dirname: this runs on whatever old Node the machine has (18 on Debian 12).
const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '..');
const pin = JSON.parse(readFileSync(join(here, 'node-runtime.json'), 'utf8'));
const toolsDir = process.env.ATTACHE_TOOLS_DIR ?? join(repo, '.tools');
const STAMP = '.attache-integrity';

class RuntimeError extends Error {}

/** Stops with `message`; thrown, so that the download folder is removed on the way out. */
function fail(message) {
  throw new RuntimeError(message);
}

const major = Number(process.versions.node.split('.')[0]);
if (pin.supportedMajors.includes(major) && !process.argv.includes('--force')) process.exit(0);

const target = `${process.platform}-${process.arch}`;
const expected = pin.integrity[target];
if (!expected) {
  console.error(
    `[attache] Node.js ${process.versions.node} is older than the supported lines (${pin.supportedMajors.join(', ')}) ` +
      `and no Node.js build is pinned for ${target} in scripts/node-runtime.json: install Node.js ` +
      `${pin.supportedMajors[0]} LTS (https://nodejs.org) and run this command again.`,
  );
  process.exit(1);
}

const packageName = `node-${target}`;
const runtimeDir = join(toolsDir, `node-v${pin.version}-${target}`);

function installed() {
  try {
    return (
      readFileSync(join(runtimeDir, STAMP), 'utf8').trim() === expected &&
      existsSync(join(runtimeDir, 'bin/node')) &&
      existsSync(join(runtimeDir, 'include/node/common.gypi'))
    );
  } catch {
    return false;
  }
}

function sha512(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

function install() {
  mkdirSync(toolsDir, { recursive: true });
  const work = mkdtempSync(join(toolsDir, '.download-'));
  try {
    console.error(
      `[attache] Node.js ${process.versions.node} is past its support: installing Node.js ${pin.version} ` +
        `(${packageName} from the npm registry, about 50 MB) into ${toolsDir}`,
    );
    const pack = spawnSync(
      'npm',
      ['pack', `${packageName}@${pin.version}`, '--pack-destination', work, '--json', '--silent'],
      { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 },
    );
    if (pack.status !== 0) {
      fail(
        `could not download ${packageName}@${pin.version} from the npm registry ` +
          `(${(pack.stderr || String(pack.error ?? '')).trim().split('\n')[0] ?? 'no reason given'}).`,
      );
    }
    const [packed] = JSON.parse(pack.stdout);
    const tarball = join(work, packed.filename);
    const actual = sha512(tarball);
    if (actual !== expected || packed.integrity !== expected) {
      fail(
        `${packageName}@${pin.version} does not match its pinned integrity: expected ${expected}, ` +
          `the file is ${actual}. Nothing was installed.`,
      );
    }
    const unpacked = join(work, 'runtime');
    mkdirSync(unpacked);
    const untar = spawnSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (untar.status !== 0) fail(`could not unpack ${tarball}`);
    const version = spawnSync(join(unpacked, 'bin/node'), ['--version'], { encoding: 'utf8' });
    if (version.stdout.trim() !== `v${pin.version}`) {
      fail(`the unpacked Node.js does not run here (${version.stderr || version.error})`);
    }
    // The stamp is written last and the folder moved into place whole, so an interrupted install
    // is never taken for a finished one.
    writeFileSync(join(unpacked, STAMP), `${expected}\n`);
    rmSync(runtimeDir, { recursive: true, force: true });
    renameSync(unpacked, runtimeDir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A fixed path for shells and editors: `export PATH="$PWD/.tools/node/bin:$PATH"`. */
function linkCurrent() {
  const link = join(toolsDir, 'node');
  try {
    if (readlinkSync(link) === basename(runtimeDir)) return;
    unlinkSync(link);
  } catch {
    // not there yet
  }
  symlinkSync(basename(runtimeDir), link);
}

try {
  if (!installed()) install();
  linkCurrent();
} catch (error) {
  if (!(error instanceof RuntimeError)) throw error;
  console.error(`[attache] ${error.message}`);
  process.exit(1);
}
process.stdout.write(`${runtimeDir}\n`);
