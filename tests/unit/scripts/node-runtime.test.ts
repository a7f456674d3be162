// scripts/node-runtime.mjs: the supported Node.js LTS for the project's commands, installed from
// the npm registry into a project-local folder where the machine's Node is older. Run against a
// copy of the script in a temporary project, with the real registry package (npm's cache keeps
// the download after the first run).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../device/fixtures.js';

const REPO = resolve(import.meta.dirname, '../../..');
const PIN = JSON.parse(readFileSync(join(REPO, 'scripts/node-runtime.json'), 'utf8')) as {
  version: string;
  supportedMajors: number[];
  integrity: Record<string, string>;
};
const TARGET = `${process.platform}-${process.arch}`;

let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((dir) => dir.remove()));
  dirs = [];
});

/** A project folder with the script and a pin file, `pin` merged over the real one. */
async function project(pin: Partial<typeof PIN> = {}) {
  const dir = await tempDir('node-runtime');
  dirs.push(dir);
  mkdirSync(join(dir.path, 'scripts'));
  copyFileSync(join(REPO, 'scripts/node-runtime.mjs'), join(dir.path, 'scripts/node-runtime.mjs'));
  writeFileSync(join(dir.path, 'scripts/node-runtime.json'), JSON.stringify({ ...PIN, ...pin }));
  const run = (args: string[] = ['--force'], env: Record<string, string> = {}) => {
    const result = spawnSync(
      process.execPath,
      [join(dir.path, 'scripts/node-runtime.mjs'), ...args],
      { cwd: dir.path, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 },
    );
    return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
  };
  return { path: dir.path, tools: join(dir.path, '.tools'), run };
}

describe('the project-local Node.js runtime', () => {
  it('pins a build of the first supported LTS line, and package.json engines names exactly the supported lines', () => {
    expect(Number(PIN.version.split('.')[0])).toBe(PIN.supportedMajors[0]);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    const lines = pkg.engines.node.split('||').map((range) => range.trim());
    expect(lines.map((range) => Number(/^\^(\d+)\./.exec(range)?.[1]))).toEqual(
      PIN.supportedMajors,
    );
  });

  it('installs nothing where the running Node is a supported line', async () => {
    const { run, tools } = await project({
      supportedMajors: [Number(process.versions.node.split('.')[0])],
    });
    expect(run([])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(existsSync(tools)).toBe(false);
  });

  it.runIf(PIN.integrity[TARGET])(
    'installs the pinned Node.js with its headers once, then uses it without downloading again',
    async () => {
      const { run, tools, path } = await project();
      const first = run();
      expect(first.status, first.stderr).toBe(0);
      const runtime = join(tools, `node-v${PIN.version}-${TARGET}`);
      expect(first.stdout).toBe(runtime);
      const version = spawnSync(join(runtime, 'bin/node'), ['--version'], { encoding: 'utf8' });
      expect(version.stdout.trim()).toBe(`v${PIN.version}`);
      // node-gyp builds keytar and better-sqlite3 against these (npm_config_nodedir).
      expect(existsSync(join(runtime, 'include/node/node_api.h'))).toBe(true);
      expect(existsSync(join(runtime, 'include/node/common.gypi'))).toBe(true);
      expect(existsSync(join(tools, 'node/bin/node'))).toBe(true);

      // Again, with an npm on PATH that fails: nothing is fetched, the same runtime is used.
      const bin = join(path, 'failing-bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'npm'), '#!/bin/sh\necho "npm must not run" >&2\nexit 1\n');
      chmodSync(join(bin, 'npm'), 0o755);
      const again = run(['--force'], { PATH: `${bin}:${process.env.PATH ?? ''}` });
      expect(again).toEqual({ status: 0, stdout: runtime, stderr: '' });
    },
    300_000,
  );

  it.runIf(PIN.integrity[TARGET])(
    'refuses a package whose integrity is not the pinned one, and leaves nothing installed',
    async () => {
      const wrong = `sha512-${Buffer.alloc(64, 1).toString('base64')}`;
      const { run, tools } = await project({ integrity: { [TARGET]: wrong } });
      const result = run();
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('does not match its pinned integrity');
      expect(readdirSync(tools)).toEqual([]);
    },
    300_000,
  );

  it('says what to do where no build is pinned for this platform', async () => {
    const { run, tools } = await project({ integrity: {} });
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`no Node.js build is pinned for ${TARGET}`);
    expect(result.stderr).toContain('install Node.js 24 LTS');
    expect(existsSync(tools)).toBe(false);
  });
});
