// The server process keeps everything it writes to its own user: the generated secrets, and also
// the SQLite stores (refresh tokens, queued events, the demo SOR), LevelDB files and logs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePrivateDir } from '../../../server/src/config/secret-files.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-files-'));

afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? [full, ...walk(full)] : [full];
  });
}

describe('files of the server process', () => {
  it('are readable by their owner only, whatever the umask it was started with (and an old port setting is named as ignored)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: repo,
      env: {
        ...process.env,
        ATTACHE_DATA_DIR: dataDir,
        ATTACHE_SOR_PORT: '0',
        ATTACHE_BROKER_PORT: '0',
        ATTACHE_OPS_PORT: '0',
        ATTACHE_IDP_PORT: '0',
        // Deprecated: the embedded CouchDB-protocol server has no port any more.
        ATTACHE_COUCH_PORT: '5985',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server not ready:\n${out}`)), 60_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('Ready.')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${out}`)));
      });
      const loose = walk(dataDir)
        .map((file) => ({
          file: path.relative(dataDir, file),
          mode: fs.statSync(file).mode & 0o777,
        }))
        .filter(({ mode }) => (mode & 0o077) !== 0);
      expect(walk(dataDir).some((f) => f.endsWith('.sqlite'))).toBe(true);
      expect(loose).toEqual([]);
      expect(out).toContain('couchPort (ATTACHE_COUCH_PORT) no longer has any effect');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 90_000);

  it('tightens a data folder that already existed with looser permissions', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-loose-'));
    fs.chmodSync(dir, 0o755);
    ensurePrivateDir(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    fs.rmSync(dir, { recursive: true });
  });
});
