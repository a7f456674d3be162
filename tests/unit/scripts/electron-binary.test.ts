// scripts/electron-binary.mjs, the postinstall that tries Electron's download and never fails
// `npm ci` for it. Run against a copy of the script beside a stand-in electron package whose
// install.js succeeds or fails as told and leaves a mark when it runs (no network involved).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installedElectronBinary } from '../../../scripts/electron-installed.mjs';
import { tempDir } from '../device/fixtures.js';

const SCRIPT = resolve(import.meta.dirname, '../../../scripts/electron-binary.mjs');

let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((dir) => dir.remove()));
  dirs = [];
});

/** A project folder with the script and a stand-in electron whose installer does `outcome`. */
async function project(outcome: 'downloads' | 'fails' | 'absent') {
  const dir = await tempDir('electron-binary');
  dirs.push(dir);
  mkdirSync(join(dir.path, 'scripts'));
  copyFileSync(SCRIPT, join(dir.path, 'scripts/electron-binary.mjs'));
  if (outcome !== 'absent') {
    const pkg = join(dir.path, 'node_modules/electron');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'electron', version: '0.0.0' }),
    );
    writeFileSync(
      join(pkg, 'install.js'),
      [
        `require('node:fs').writeFileSync(${JSON.stringify(join(dir.path, 'ran'))}, '');`,
        outcome === 'fails'
          ? `console.error('RequestError: getaddrinfo ENOTFOUND github.com'); process.exit(1);`
          : '',
      ].join('\n'),
    );
  }
  const run = (env: Record<string, string> = {}) => {
    const { ELECTRON_SKIP_BINARY_DOWNLOAD: _skip, ...inherited } = process.env;
    const result = spawnSync(process.execPath, [join(dir.path, 'scripts/electron-binary.mjs')], {
      cwd: dir.path,
      env: { ...inherited, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: result.status, stderr: result.stderr, ran: existsSync(join(dir.path, 'ran')) };
  };
  return { run };
}

describe('the Electron binary postinstall', () => {
  it('runs Electron’s installer, saying only that it downloads, when the download works', async () => {
    const { run } = await project('downloads');
    const result = run();
    expect(result).toMatchObject({ status: 0, ran: true });
    expect(result.stderr.trim().split('\n')).toEqual([
      "[attache] downloading Electron's binary (set ELECTRON_SKIP_BINARY_DOWNLOAD=1 to skip)…",
    ]);
  });

  it('lets the install succeed when the download fails, saying why and what still works', async () => {
    const { run } = await project('fails');
    const result = run();
    expect(result.ran).toBe(true);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      "Electron's binary could not be downloaded (RequestError: getaddrinfo ENOTFOUND github.com)",
    );
    expect(result.stderr).toContain('re-run `npm ci` with network access');
  });

  it('does not try when ELECTRON_SKIP_BINARY_DOWNLOAD is set', async () => {
    const { run } = await project('fails');
    expect(run({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1' })).toEqual({
      status: 0,
      stderr: '',
      ran: false,
    });
  });

  it('does nothing where electron is not installed (a production install)', async () => {
    const { run } = await project('absent');
    expect(run()).toEqual({ status: 0, stderr: '', ran: false });
  });
});

describe('finding the downloaded Electron binary', () => {
  /** A project whose electron package downloads (leaves a mark) whenever it is loaded, as 42+ do. */
  async function electronPackage(state: 'downloaded' | 'never-downloaded' | 'binary-removed') {
    const dir = await tempDir('electron-installed');
    dirs.push(dir);
    const pkg = join(dir.path, 'node_modules/electron');
    mkdirSync(join(pkg, 'dist'), { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'electron', main: 'index.js' }),
    );
    writeFileSync(
      join(pkg, 'index.js'),
      `require('node:fs').writeFileSync(${JSON.stringify(join(dir.path, 'loaded'))}, '');`,
    );
    if (state !== 'never-downloaded') writeFileSync(join(pkg, 'path.txt'), 'electron');
    if (state === 'downloaded') writeFileSync(join(pkg, 'dist/electron'), '');
    return { root: dir.path, binary: join(pkg, 'dist/electron'), loaded: join(dir.path, 'loaded') };
  }

  it('names the binary where the download left one', async () => {
    const project = await electronPackage('downloaded');
    expect(installedElectronBinary(project.root)).toBe(project.binary);
  });

  it('answers null, without loading the package (which would download), where there is none', async () => {
    for (const state of ['never-downloaded', 'binary-removed'] as const) {
      const project = await electronPackage(state);
      expect(installedElectronBinary(project.root)).toBeNull();
      expect(existsSync(project.loaded)).toBe(false);
    }
  });
});
