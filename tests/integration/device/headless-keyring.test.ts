// The quick start's private keychain where no desktop provides one (scripts/lib.sh
// `with_secret_service`, which `npm start` and `npm run serve` run the product under): real
// dbus-daemon and gnome-keyring-daemon, real keytar. A secret kept in one run is there in the
// next; the device's data folder holds nothing that unlocks the keyring, so a copy of it does not
// open on another account.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../unit/device/fixtures.js';

const REPO = resolve(import.meta.dirname, '../../..');
const SERVICE = 'Attaché headless keyring test';

let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((dir) => dir.remove()));
  dirs = [];
});

function filesUnder(dir: string): { path: string; content: Buffer }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path, content: readFileSync(path) };
    });
}

/** Runs `script` (Node, with keytar) under with_secret_service for the account at `home`. */
function underPrivateKeyring(home: string, dataDir: string, script: string) {
  // As in a terminal on a headless machine: no D-Bus session, so the private keyring starts.
  const {
    DBUS_SESSION_BUS_ADDRESS: _bus,
    XDG_CONFIG_HOME: _c,
    XDG_DATA_HOME: _d,
    ...env
  } = process.env;
  const result = spawnSync(
    'bash',
    [
      '-c',
      'set -euo pipefail; . scripts/lib.sh; with_secret_service "$1" node -e "$2"',
      'headless-keyring-test',
      join(dataDir, 'keyring'),
      script,
    ],
    { cwd: REPO, env: { ...env, HOME: home }, encoding: 'utf8', timeout: 60_000 },
  );
  // The script's own answer is its last line; the lines before are the wrapper's notices.
  const answer = result.stdout.trim().split('\n').at(-1) ?? '';
  return { status: result.status, stdout: answer, stderr: result.stderr };
}

const keytarCall = (body: string) =>
  `const keytar = require('keytar'); (async () => { ${body} })().catch((e) => { console.error(e); process.exit(3); });`;

describe('the private keyring of the quick start (real gnome-keyring)', () => {
  it('keeps secrets across restarts while the data folder holds nothing that unlocks them', async () => {
    const dir = await tempDir('headless-keyring');
    dirs.push(dir);
    const home = join(dir.path, 'home');
    const dataDir = join(dir.path, 'project/.data/device');
    mkdirSync(home, { recursive: true });
    const secret = 'store-key-that-must-stay-sealed-0123456789';

    const first = underPrivateKeyring(
      home,
      dataDir,
      keytarCall(
        `await keytar.setPassword(${JSON.stringify(SERVICE)}, 'store-key', ${JSON.stringify(secret)}); console.log('kept');`,
      ),
    );
    expect(first.stdout, first.stderr).toBe('kept');
    expect(existsSync(join(dataDir, 'keyring/keyrings/login.keyring'))).toBe(true);

    // A restart of `npm start`: a new bus and daemon, the same keyring, unlocked again.
    const read = keytarCall(
      `console.log(await keytar.getPassword(${JSON.stringify(SERVICE)}, 'store-key'));`,
    );
    const second = underPrivateKeyring(home, dataDir, read);
    expect(second.stdout, second.stderr).toBe(secret);

    // What unlocks it lives in the account's config folder, not in the data folder.
    expect(existsSync(join(dataDir, 'keyring/unlock-password'))).toBe(false);
    const unlocks = filesUnder(join(home, '.config/attache/dev-keyrings'));
    expect(unlocks).toHaveLength(1);
    const [unlock] = unlocks;
    const password = unlock!.content.toString('utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(40);
    const data = filesUnder(dataDir);
    expect(data.length).toBeGreaterThan(0);
    for (const file of data) {
      expect(file.content.includes(password), file.path).toBe(false);
      expect(file.content.includes(secret), file.path).toBe(false);
    }

    // The folder copied to another account (a backup, an archive): it does not open there.
    const copy = join(dir.path, 'copy/.data/device');
    cpSync(dataDir, copy, { recursive: true });
    const elsewhere = join(dir.path, 'other-home');
    mkdirSync(elsewhere);
    const stolen = underPrivateKeyring(elsewhere, copy, read);
    expect(stolen.status).not.toBe(0);
    expect(stolen.stdout).not.toContain(secret);
    expect(stolen.stderr).toContain('cannot be unlocked: its unlock password is not in');
  });
});
