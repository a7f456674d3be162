// scripts/lib.sh `with_secret_service`, the private gnome-keyring the quick start runs where no
// desktop provides a keychain: where its unlock password is kept. Run with stand-ins for
// dbus-daemon and gnome-keyring-daemon (first on PATH) that record what they were given; the
// real daemons are in tests/integration/device/headless-keyring.test.ts.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../device/fixtures.js';

const LIB = resolve(import.meta.dirname, '../../../scripts/lib.sh');

let dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((dir) => dir.remove()));
  dirs = [];
});

/** Every file under `dir`, recursively, with its content. */
function filesUnder(dir: string): { path: string; content: Buffer }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path, content: readFileSync(path) };
    });
}

async function machine() {
  const dir = await tempDir('keyring-unlock');
  dirs.push(dir);
  const bin = join(dir.path, 'bin');
  const record = join(dir.path, 'record');
  mkdirSync(bin);
  mkdirSync(record);
  // --fork: print the bus address and the pid of something harmless to stop later, then return.
  writeFileSync(
    join(bin, 'dbus-daemon'),
    '#!/bin/sh\nsleep 30 >/dev/null 2>&1 &\necho unix:path=/nonexistent/bus\necho $!\n',
  );
  writeFileSync(
    join(bin, 'gnome-keyring-daemon'),
    `#!/bin/sh\ncat > "${record}/password"\necho "$XDG_DATA_HOME" > "${record}/data-home"\n`,
  );
  chmodSync(join(bin, 'dbus-daemon'), 0o755);
  chmodSync(join(bin, 'gnome-keyring-daemon'), 0o755);
  const keyringDir = join(dir.path, 'project/.data/device/keyring');

  /** Runs with_secret_service as run.sh does, for `home` (a person's account). */
  const start = (home: string) => {
    // No desktop session: the keychain probe must fail, so the private keyring starts.
    const { DBUS_SESSION_BUS_ADDRESS: _bus, XDG_CONFIG_HOME: _config, ...inherited } = process.env;
    const result = spawnSync(
      'bash',
      [
        '-c',
        `set -euo pipefail; . "${LIB}"; with_secret_service "$1" bash -c 'echo "ran with $DBUS_SESSION_BUS_ADDRESS"; env | grep ^ATTACHE_KEYRING || true'`,
        'with-secret-service-test',
        keyringDir,
      ],
      {
        env: { ...inherited, HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}` },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    const given = existsSync(join(record, 'password'))
      ? readFileSync(join(record, 'password'), 'utf8')
      : null;
    const dataHome = existsSync(join(record, 'data-home'))
      ? readFileSync(join(record, 'data-home'), 'utf8').trim()
      : null;
    for (const name of readdirSync(record)) writeFileSync(join(record, name), '');
    return {
      status: result.status,
      stdout: result.stdout,
      stderr: result.stderr,
      given: given || null,
      dataHome,
    };
  };
  const home = (name: string) => {
    const path = join(dir.path, 'homes', name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  return { start, home, keyringDir };
}

describe('the quick start’s private keyring (scripts/lib.sh with_secret_service)', () => {
  it('keeps the unlock password in the person’s config folder, owner-only, and nothing of it beside the keyring', async () => {
    const m = await machine();
    const alex = m.home('alex');
    const first = m.start(alex);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('ran with unix:path=/nonexistent/bus');
    // The command does not inherit where the password is.
    expect(first.stdout).not.toContain('ATTACHE_KEYRING');
    expect(first.dataHome).toBe(m.keyringDir);
    const password = first.given;
    expect(password).toMatch(/^[A-Za-z0-9+/=]{40,}\n$/);

    const [stored, ...others] = filesUnder(join(alex, '.config/attache/dev-keyrings'));
    expect(others).toEqual([]);
    expect(stored!.content.toString('utf8')).toBe(password);
    expect(statSync(stored!.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(alex, '.config/attache/dev-keyrings')).mode & 0o777).toBe(0o700);
    expect(statSync(join(alex, '.config/attache')).mode & 0o777).toBe(0o700);

    const beside = filesUnder(join(m.keyringDir, '../..'));
    expect(beside.map((f) => f.path.slice(m.keyringDir.length))).toEqual(['/keyring-id']);
    const secret = password!.trim();
    for (const file of beside) expect(file.content.toString('utf8')).not.toContain(secret);
  });

  it('unlocks the same keyring with the same password at every restart', async () => {
    const m = await machine();
    const alex = m.home('alex');
    const first = m.start(alex).given;
    const second = m.start(alex);
    expect(second.status, second.stderr).toBe(0);
    expect(second.given).toBe(first);
  });

  it('moves the password an earlier version kept beside the keyring out of the data folder', async () => {
    const m = await machine();
    const alex = m.home('alex');
    // The previous release's layout: the keyring and its password side by side.
    mkdirSync(join(m.keyringDir, 'keyrings'), { recursive: true });
    writeFileSync(join(m.keyringDir, 'keyrings/login.keyring'), 'GnomeKeyring\n');
    writeFileSync(join(m.keyringDir, 'unlock-password'), 'previous-release-password\n', {
      mode: 0o600,
    });

    const result = m.start(alex);
    expect(result.status, result.stderr).toBe(0);
    expect(result.given).toBe('previous-release-password\n');
    expect(existsSync(join(m.keyringDir, 'unlock-password'))).toBe(false);
    expect(result.stdout).toContain(
      "moved the private keyring's unlock password out of the data folder",
    );
    const [stored] = filesUnder(join(alex, '.config/attache/dev-keyrings'));
    expect(stored!.content.toString('utf8')).toBe('previous-release-password\n');
    expect(statSync(stored!.path).mode & 0o777).toBe(0o600);
    // The next start finds it where it now lives.
    expect(m.start(alex).given).toBe('previous-release-password\n');
  });

  it('finishes a move that stopped after the copy and before the old file was removed', async () => {
    const m = await machine();
    const alex = m.home('alex');
    const first = m.start(alex).given!;
    writeFileSync(join(m.keyringDir, 'unlock-password'), first, { mode: 0o600 });
    const again = m.start(alex);
    expect(again.status, again.stderr).toBe(0);
    expect(again.given).toBe(first);
    expect(existsSync(join(m.keyringDir, 'unlock-password'))).toBe(false);
  });

  it('refuses a copied keyring whose password is not on this account, saying what to do, and loses nothing', async () => {
    const m = await machine();
    const alex = m.home('alex');
    m.start(alex);
    // The data folder as someone else would have it: copied, but not the config folder.
    mkdirSync(join(m.keyringDir, 'keyrings'), { recursive: true });
    writeFileSync(join(m.keyringDir, 'keyrings/login.keyring'), 'GnomeKeyring\n');
    const other = m.start(m.home('someone-else'));
    expect(other.status).not.toBe(0);
    expect(other.given).toBeNull();
    expect(other.stdout).not.toContain('ran with');
    expect(other.stderr).toContain('cannot be unlocked: its unlock password is not in');
    expect(other.stderr).toContain(`mv '${m.keyringDir}' '${m.keyringDir}.old'`);
    expect(readFileSync(join(m.keyringDir, 'keyrings/login.keyring'), 'utf8')).toBe(
      'GnomeKeyring\n',
    );
  });
});
