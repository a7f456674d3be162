// What code running inside the embedded CouchDB-protocol server could reach. express-pouchdb runs
// design-document functions (validate_doc_update) in its own process, and a function can climb out
// of its vm context to `process` through any object it is handed. Only the service account can
// write design documents (embedded-couch-attack.test.ts), so such code should never get there; if
// it did, the built product's child process holds no secret of the server's and, under Node's
// permission model, cannot read the files that hold them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as fromSource from '../../../server/src/couch/embedded-couch-process.js';
import { basic, couchRequest } from './couch-socket.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const BUILT = path.join(repo, 'dist/server/src/couch/embedded-couch-process.js');
const ADMIN = { username: 'attache-service', password: 'sandbox-test-password-0123' };
const MARKER = 'service-secret-marker-7f3a9c';
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A validate_doc_update that reads `file` from inside the server and reports what it got. */
function escapingValidator(file: string): string {
  return `function (newDoc) {
    var out;
    try {
      var p = newDoc.constructor.constructor('return process')();
      out = 'read: ' + p.getBuiltinModule('fs').readFileSync(${JSON.stringify(file)}, 'utf8');
    } catch (e) {
      out = 'refused: ' + (e.code || '') + ' ' + e.message;
    }
    throw({ forbidden: out });
  }`;
}

type Supervisor = typeof fromSource;

/** Starts the embedded server with `impl`, plants the probe, and returns what it read. */
async function probe(impl: Supervisor): Promise<{ reason: string; pid: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-sandbox-'));
  dirs.push(dataDir);
  const secretFile = path.join(dataDir, 'secrets', 'server-secrets.json');
  fs.mkdirSync(path.dirname(secretFile), { mode: 0o700 });
  fs.writeFileSync(secretFile, JSON.stringify({ serviceSecret: MARKER }), { mode: 0o600 });
  const couch = await impl.startEmbeddedCouchProcess({ dataDir, admin: ADMIN, logLevel: 'silent' });
  try {
    const as = { authorization: basic(ADMIN) };
    const db = '/userdb-70726f6265';
    expect((await couchRequest(couch.socketPath, 'PUT', db, as)).status).toBe(201);
    const ddoc = JSON.stringify({ validate_doc_update: escapingValidator(secretFile) });
    const put = await couchRequest(couch.socketPath, 'PUT', `${db}/_design/probe`, {
      ...as,
      body: ddoc,
    });
    expect(put.status).toBe(201);
    const write = await couchRequest(couch.socketPath, 'PUT', `${db}/doc`, { ...as, body: '{}' });
    expect(write.status).toBe(403);
    return { reason: (JSON.parse(write.text) as { reason: string }).reason, pid: couch.pid() ?? 0 };
  } finally {
    await couch.stop();
  }
}

describe.runIf(process.platform === 'linux')('code running inside the embedded server', () => {
  it('cannot read the server’s secrets in the built product, and the process holds none', async () => {
    expect(fs.existsSync(BUILT), 'the product is not built: run `npm run build` first').toBe(true);
    const built = (await import(pathToFileURL(BUILT).href)) as Supervisor;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-sandbox-env-'));
    dirs.push(dataDir);
    const couch = await built.startEmbeddedCouchProcess({
      dataDir,
      admin: ADMIN,
      logLevel: 'silent',
    });
    try {
      const pid = couch.pid() ?? 0;
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline.some((arg) => /^--(experimental-)?permission$/.test(arg))).toBe(true);
      expect(cmdline.join(' ')).not.toContain(ADMIN.password);
      // Nothing of the server's environment (which may name credentials) reaches it: only the
      // variables Node sets up for the IPC channel.
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
      expect(environ.filter((entry) => !entry.startsWith('NODE_CHANNEL_'))).toEqual([]);
    } finally {
      await couch.stop();
    }
    const { reason } = await probe(built);
    expect(reason).not.toContain(MARKER);
    expect(reason).toMatch(/^refused: ERR_ACCESS_DENIED/);
  });

  it('refuses a data folder the child could read as code (the secrets would be readable)', async () => {
    const built = (await import(pathToFileURL(BUILT).href)) as Supervisor;
    const inside = path.join(repo, 'dist', 'server', 'src', 'data-inside-code');
    fs.rmSync(inside, { recursive: true, force: true });
    await expect(
      built.startEmbeddedCouchProcess({ dataDir: inside, admin: ADMIN, logLevel: 'silent' }),
    ).rejects.toThrow(/dataDir \(ATTACHE_DATA_DIR\): .* lies inside the server's code/);
    expect(fs.existsSync(inside)).toBe(false);
  });

  it('the probe is real: run from source (development, no permission model) it reads the file', async () => {
    const { reason } = await probe(fromSource);
    expect(reason).toContain(MARKER);
  });
});
