// Secrets the server generates on first run and reuses afterwards (CouchDB admin credentials,
// service secret, admin token, development signing key). Files are owner-only (0600) in an
// owner-only folder, and appear atomically: written to a temp file, fsynced, then hard-linked
// into place, so a crash never leaves half a secret and two processes starting at once agree on
// one value (the loser of the link race reads the winner's file).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './types.js';

export class SecretFileError extends Error {
  readonly code = 'SECRET_FILE_INVALID';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(
      `Secret file ${file} is unreadable (${reason}). It is kept as is; move it aside to let the server generate a new one.`,
    );
    this.name = 'SecretFileError';
  }
}

export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode applies only to a folder it creates; an existing one is tightened here.
  fs.chmodSync(dir, 0o700);
}

/** Writes `content` to `file` atomically with mode 0600, replacing any existing file. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = tempPath(file);
  writeSynced(tmp, content);
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/**
 * Returns the parsed content of `file`, creating it with `create()` first when it does not exist.
 * A file that exists but does not parse is an error, never silently replaced: replacing a secret
 * would lock the server out of data protected by the old one.
 */
export function readOrCreateSecretFile<T>(
  file: string,
  create: () => string,
  parse: (text: string) => T,
): T {
  ensurePrivateDir(path.dirname(file));
  if (!fs.existsSync(file)) {
    const tmp = tempPath(file);
    writeSynced(tmp, create());
    try {
      fs.linkSync(tmp, file);
      fsyncDir(path.dirname(file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const text = fs.readFileSync(file, 'utf8');
  try {
    return parse(text);
  } catch (error) {
    throw new SecretFileError(file, error instanceof Error ? error.message : String(error));
  }
}

/** A URL-safe random secret with `bytes` bytes of entropy. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time comparison of two secrets (over digests, so the length is not revealed either). */
export function secretsEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  let difference = 0;
  for (let i = 0; i < left.length; i += 1) difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return difference === 0;
}

function tempPath(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
  );
}

function writeSynced(file: string, content: string): void {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  // Makes the rename/link itself durable. Not supported on every platform (Windows); the file
  // content is already synced, so failing here is not fatal.
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

/** Reads a secret named by a `*File` configuration key; a clear ConfigError when it cannot. */
export function readSecretFromFile(key: string, env: string, file: string, minLength = 1): string {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(file), 'utf8').trim();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    const problem = `${key} (${env}): cannot read ${JSON.stringify(file)} (${reason})`;
    throw new ConfigError(`Invalid server configuration:\n  - ${problem}`, [problem]);
  }
  if (text.length < minLength) {
    const problem = `${key} (${env}): ${JSON.stringify(file)} holds fewer than ${minLength} characters`;
    throw new ConfigError(`Invalid server configuration:\n  - ${problem}`, [problem]);
  }
  return text;
}
